"""Real public CRM exports land through a mapping alone, every row accounted for, and
Maven's owners export gives its deals their agent's name and regional office in the marts.

The expected counts are computed from the CSV files with pandas, independently of the
loader and of dbt, and compared with what stands in raw_csv, quarantine and the marts.
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


def test_maven_owners_every_row_accounted_for(datasets, examples, land, con):
    teams = _read(datasets / "maven_crm_sales" / "sales_teams.csv")
    expected = _expected(teams, "sales_agent", [])
    assert expected["rows_in"] == expected["rows_landed"] == len(teams)
    (stats,) = land([examples / "maven_owners.yml"])
    assert _accounting(stats) == expected
    assert stats.source_instance == "maven_crm"  # the deals' instance: their keys join
    landed = con.execute("select owner, name, team, manager from raw_csv.owners").fetchall()
    assert sorted(landed) == sorted(
        teams[["sales_agent", "sales_agent", "regional_office", "manager"]].itertuples(
            index=False, name=None
        )
    )


def _maven_deals(datasets) -> pd.DataFrame:
    """Maven's deals with the manager and regional office of their sales agent."""
    folder = datasets / "maven_crm_sales"
    pipeline = _read(folder / "sales_pipeline.csv")
    teams = _read(folder / "sales_teams.csv")
    return pipeline.merge(teams, on="sales_agent", how="left", validate="many_to_one")


def test_maven_won_deals_and_win_rates_per_regional_office(csv_marts, datasets):
    deals = _maven_deals(datasets)
    closed = deals[deals.deal_stage.isin(["Won", "Lost"])]
    by_office = closed.groupby("regional_office").deal_stage
    expected = pd.DataFrame(
        {"won": by_office.apply(lambda s: int((s == "Won").sum())), "closed": by_office.size()}
    )
    assert expected.won.sum() == 4238 and expected.closed.sum() == 4238 + 2473
    got = pd.DataFrame(
        csv_marts.query(
            """select team_at_close, sum(won_deals), sum(won_deals + lost_deals)
            from marts.win_rates where owner_at_close_key like 'csv:maven_crm:%' group by 1"""
        ),
        columns=["regional_office", "won", "closed"],
    ).set_index("regional_office")
    assert got.sort_index().astype(int).to_dict() == expected.sort_index().to_dict()
    win_rate = (expected.won / expected.closed).to_dict()
    assert (got.won / got.closed).to_dict() == pytest.approx(win_rate)


def test_maven_deals_name_their_agent_and_office(csv_marts, datasets):
    deals = _maven_deals(datasets).set_index("opportunity_id")
    got = pd.DataFrame(
        csv_marts.query(
            """select deal_id, owner_name, team_name, team_at_close from marts.deals
            where source_instance = 'maven_crm'"""
        ),
        columns=["opportunity_id", "owner_name", "team_name", "team_at_close"],
    ).set_index("opportunity_id")
    # A deal still prospecting has no date at all (no engage or close date): dbt warns
    # (csv_deals_without_dates) and the marts leave it out.
    dated = deals[~(_blank(deals.engage_date) & _blank(deals.close_date))]
    assert len(deals) - len(dated) == 500
    assert sorted(got.index) == sorted(dated.index)
    deals = deals.loc[got.index]
    assert (got.owner_name == deals.sales_agent).all()
    assert (got.team_name == deals.regional_office).all()
    closed = deals.deal_stage.isin(["Won", "Lost"])
    assert (got.team_at_close[closed] == deals.regional_office[closed]).all()
    assert got.team_at_close[~closed].isna().all()
