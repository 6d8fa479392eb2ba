"""Real public CRM exports land through a mapping alone, every row accounted for.

The expected counts are computed from the CSV files with pandas, independently of the
loader, and compared with what stands in raw_csv and quarantine afterwards.
"""

import pandas as pd
import pytest


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _blank(column: pd.Series) -> pd.Series:
    return column.str.strip() == ""


def _expected(frame: pd.DataFrame, key: str, dates: list[str]) -> dict[str, int]:
    """Rows in, quarantined (blank key, unparsable date), exact duplicates, and landed."""
    bad = _blank(frame[key])
    for column in dates:
        parsed = pd.to_datetime(frame[column], format="ISO8601", errors="coerce")
        bad |= parsed.isna() & ~_blank(frame[column])
    duplicates = int(frame[~bad].duplicated().sum())
    return {
        "rows_in": len(frame),
        "rows_quarantined": int(bad.sum()),
        "duplicates_collapsed": duplicates,
        "rows_landed": len(frame) - int(bad.sum()) - duplicates,
    }


def _accounting(stats) -> dict[str, int]:
    return {
        name: getattr(stats, name)
        for name in ("rows_in", "rows_quarantined", "duplicates_collapsed", "rows_landed")
    }


def _landed(con, table: str, instance: str) -> int:
    return con.execute(
        f"select count(*) from {table} where _source_instance = ? and not _vanished", [instance]
    ).fetchone()[0]


def _quarantined(con, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


@pytest.fixture
def olist(datasets, examples, land, con):
    folder = datasets / "olist_marketing_funnel"
    leads = _read(folder / "olist_marketing_qualified_leads_dataset.csv")
    deals = _read(folder / "olist_closed_deals_dataset.csv")
    stats = land([examples / "olist_leads.yml", examples / "olist_deals.yml"])
    return leads, deals, {s.kind: s for s in stats}


def test_olist_leads_every_row_accounted_for(olist, con):
    leads, _, stats = olist
    expected = _expected(leads, "mql_id", ["first_contact_date"])
    assert expected == {
        "rows_in": 8000,
        "rows_quarantined": 0,
        "duplicates_collapsed": 0,
        "rows_landed": 8000,
    }
    assert _accounting(stats["leads"]) == expected
    assert _landed(con, "raw_csv.leads", "olist") == expected["rows_landed"]
    assert _quarantined(con, "quarantine.csv__leads") == expected["rows_quarantined"]
    # Blank origins are kept, as null sources, not dropped.
    assert int(_blank(leads["origin"]).sum()) == 60
    assert con.execute("select count(*) from raw_csv.leads where source is null").fetchone() == (
        60,
    )
    assert con.execute(
        """select source, created_at, landing_page_id from raw_csv.leads
        where lead_id = 'dac32acd4db4c29c230538b72f8dd87d'"""
    ).fetchone() == ("social", "2018-02-01", "88740e65d5d6b056e0cda098e1ea6313")
    by_source = dict(
        con.execute("select source, count(*) from raw_csv.leads group by source").fetchall()
    )
    assert by_source == {
        (None if origin == "" else origin): n
        for origin, n in leads["origin"].value_counts().items()
    }


def test_olist_deals_every_row_accounted_for(olist, con):
    leads, deals, stats = olist
    expected = _expected(deals, "mql_id", ["won_date"])
    assert expected == {
        "rows_in": 842,
        "rows_quarantined": 0,
        "duplicates_collapsed": 0,
        "rows_landed": 842,
    }
    assert _accounting(stats["deals"]) == expected
    assert stats["deals"].history_rows is None
    assert _landed(con, "raw_csv.deals", "olist") == 842
    assert _quarantined(con, "quarantine.csv__deals") == 0
    assert con.execute(
        """select count(*), count(distinct stage), min(stage), count(amount),
            count(*) filter (where won_at = closed_at and lead_id = deal_id), min(currency)
        from raw_csv.deals"""
    ).fetchone() == (842, 1, "won", 0, 842, "BRL")
    row = deals.iloc[0]
    assert con.execute(
        "select closed_at, owner, sdr_id, business_segment from raw_csv.deals where deal_id = ?",
        [row["mql_id"]],
    ).fetchone() == (row["won_date"], row["sr_id"], row["sdr_id"], row["business_segment"])
    # Every deal's lead landed too; the data set's one deal won before its lead's first contact
    # is still there, for dbt's checks to flag.
    joined = deals.merge(leads, on="mql_id")
    assert len(joined) == 842
    early = int((joined["won_date"] < joined["first_contact_date"]).sum())
    assert early == 1
    assert con.execute(
        """select count(*) from raw_csv.deals d join raw_csv.leads l on d.lead_id = l.lead_id
        where cast(d.won_at as timestamp) < cast(l.created_at as timestamp)"""
    ).fetchone() == (early,)


def test_maven_pipeline_every_row_accounted_for(datasets, examples, land, con):
    pipeline = _read(datasets / "maven_crm_sales" / "sales_pipeline.csv")
    expected = _expected(pipeline, "opportunity_id", ["engage_date", "close_date"])
    assert expected == {
        "rows_in": 8800,
        "rows_quarantined": 0,
        "duplicates_collapsed": 0,
        "rows_landed": 8800,
    }
    (stats,) = land([examples / "maven_deals.yml"])
    assert _accounting(stats) == expected
    assert (stats.new_versions, stats.source_instance) == (8800, "maven_crm")
    assert _landed(con, "raw_csv.deals", "maven_crm") == 8800
    assert _quarantined(con, "quarantine.csv__deals") == 0
    stages = dict(con.execute("select stage, count(*) from raw_csv.deals group by 1").fetchall())
    assert stages == pipeline["deal_stage"].value_counts().to_dict()
    assert stages == {"Won": 4238, "Lost": 2473, "Engaging": 1589, "Prospecting": 500}
    # Blank engage dates (the prospects) and close values (open deals) land as nulls.
    assert con.execute(
        """select count(*) filter (where created_at is null),
            count(*) filter (where created_at is null and stage = 'Prospecting'),
            count(*) filter (where amount is null), count(*) filter (where currency = 'USD')
        from raw_csv.deals"""
    ).fetchone() == (
        int(_blank(pipeline["engage_date"]).sum()),
        500,
        int(_blank(pipeline["close_value"]).sum()),
        8800,
    )
    assert con.execute(
        """select stage, amount, created_at, closed_at, owner, product, account
        from raw_csv.deals where deal_id = '1C1I7A6R'"""
    ).fetchone() == (
        "Won",
        "1054",
        "2016-10-20",
        "2017-03-01",
        "Moses Frase",
        "GTX Plus Basic",
        "Cancity",
    )

    (again,) = land([examples / "maven_deals.yml"], load_id="L2")
    assert (again.rows_landed, again.new_versions, again.vanished) == (8800, 0, 0)
    assert con.execute("select count(*) from raw_csv.deals").fetchone() == (8800,)
