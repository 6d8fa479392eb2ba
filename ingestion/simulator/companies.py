"""Companies of one deal chunk (see config.company_block): firmographics and CRM dates."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingestion.simulator.config import NULL_MS, WorldConfig, company_block, growth_times, stream
from ingestion.simulator.deals import DealChunk
from ingestion.simulator.io import choose, int_strings, iso_strings, make_table
from ingestion.simulator.names import company_names
from ingestion.simulator.people import COMPANY_ID_BASE, People

INDUSTRIES = (
    "COMPUTER_SOFTWARE",
    "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "FINANCIAL_SERVICES",
    "HOSPITAL_HEALTH_CARE",
    "RETAIL",
    "LOGISTICS_AND_SUPPLY_CHAIN",
    "MARKETING_AND_ADVERTISING",
    "MACHINERY",
    "TELECOMMUNICATIONS",
    "EDUCATION_MANAGEMENT",
)
COUNTRIES = (
    "United States",
    "Germany",
    "United Kingdom",
    "France",
    "Netherlands",
    "Sweden",
    "Canada",
    "Spain",
    "Ireland",
    "Australia",
)
COUNTRY_MIX = np.array([0.34, 0.16, 0.16, 0.08, 0.06, 0.04, 0.05, 0.04, 0.03, 0.04])


def companies_table(config: WorldConfig, d: DealChunk, people: People) -> pa.Table:
    """A company appears in the CRM with its first contact or deal (HubSpot auto-creates it
    from the contact's email domain); companies nobody is linked to get a random date."""
    rng = stream(config.seed, "companies", d.chunk)
    first, count = company_block(config, d.chunk)
    linked = people.company >= 0
    local = np.concatenate([people.company[linked] - first, d.company - first])
    times = np.concatenate([people.stages[0][linked], d.created])
    created = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    modified = np.full(count, NULL_MS, dtype=np.int64)
    np.minimum.at(created, local, times)
    np.maximum.at(modified, local, times)
    unused = modified == NULL_MS
    created[unused] = growth_times(rng, int(unused.sum()), config.start_ms, config.limit_ms)
    modified[unused] = created[unused]
    index = first + np.arange(count, dtype=np.int64)
    name, domain = company_names(index)
    employees = np.clip(np.rint(np.exp(rng.normal(np.log(120.0), 1.3, count))), 2, 250_000)
    revenue = np.round(employees * np.exp(rng.normal(np.log(180_000.0), 0.5, count)), -3)
    return make_table(
        "companies",
        {
            "id": int_strings(COMPANY_ID_BASE + index),
            "name": name,
            "domain": domain,
            "industry": choose(INDUSTRIES, rng.integers(0, len(INDUSTRIES), count)),
            "country": choose(COUNTRIES, rng.choice(len(COUNTRIES), size=count, p=COUNTRY_MIX)),
            "numberofemployees": int_strings(employees.astype(np.int64)),
            "annualrevenue": int_strings(revenue.astype(np.int64)),
            "createdate": iso_strings(created),
            "hs_lastmodifieddate": iso_strings(modified),
            "archived": np.zeros(count, dtype=bool),
        },
    )
