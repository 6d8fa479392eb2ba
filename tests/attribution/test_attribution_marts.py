"""The attribution marts of the session's demo run against the simulator's world: first and
last touch equal the world's true touches (unlimited lookback, the default), weights and
attributed totals reconcile with the deals they split, and explain-deal prints the audit
trail."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.marketing.ground_truth import expected_deal_paths

MODELS = {
    "first_touch",
    "last_touch",
    "linear",
    "u_shaped",
    "w_shaped",
    "full_path",
    "time_decay",
    "markov",
    "shapley",
}


@pytest.fixture(scope="module")
def live_deals(pipeline_run) -> pd.DataFrame:
    """The world's deals the metrics count (listed, well-formed, not deleted), keyed as the
    warehouse keys them, with their true creation and close."""
    portal = pipeline_run.query("select distinct _source_instance from raw_hubspot.contacts")[0][0]
    deals = pipeline_run.truth("truth_deals").to_pandas()
    deals = deals[deals.merged_into_deal_id.isna() & ~deals.is_malformed & ~deals.is_deleted]
    deals = deals.assign(deal_key=f"hubspot:{portal}:" + deals.deal_id)
    for column in ("created_at", "closed_at"):
        deals[column] = deals[column].dt.tz_convert(None)
    return deals.set_index("deal_key")


@pytest.fixture(scope="module")
def true_paths(pipeline_run) -> dict[str, list]:
    return {
        deal: [(at.replace(tzinfo=None), channel) for at, channel, _ in path]
        for deal, path in expected_deal_paths(pipeline_run.world_dir).items()
    }


def _credited(pipeline_run, model: str, conversion: str) -> dict[str, tuple]:
    rows = pipeline_run.query(
        "select deal_key, occurred_at, channel from marts.attribution_credits "
        "where model = ? and conversion = ? and weight = 1",
        [model, conversion],
    )
    return {deal: (at, channel) for deal, at, channel in rows}


def test_first_and_last_touch_equal_the_worlds_true_touches(pipeline_run, live_deals, true_paths):
    first = _credited(pipeline_run, "first_touch", "pipeline")
    last = _credited(pipeline_run, "last_touch", "pipeline")
    assert first.keys() == last.keys() == set(live_deals.index)
    untouched = 0
    for deal, created_at in live_deals.created_at.items():
        before = [touch for touch in true_paths.get(deal, []) if touch[0] <= created_at]
        if not before:
            untouched += 1
            assert first[deal] == last[deal] == (None, "no_touch"), deal
            continue
        assert first[deal] == before[0], deal
        assert last[deal] == before[-1], deal
    assert untouched < 0.05 * len(live_deals)
    # The world gives most deals several touches before creation: the models disagree often.
    assert sum(first[d] != last[d] for d in live_deals.index) > 0.5 * len(live_deals)


def test_revenue_paths_hold_exactly_the_won_deals_true_touches_up_to_the_win(
    pipeline_run, live_deals, true_paths
):
    won = live_deals[live_deals.outcome == "won"]
    rows = pipeline_run.query(
        "select deal_key, occurred_at, channel from marts.attribution_credits "
        "where model = 'linear' and conversion = 'revenue' order by deal_key, path_position"
    )
    paths: dict[str, list] = {}
    for deal, at, channel in rows:
        paths.setdefault(deal, []).append((at, channel))
    assert paths.keys() == set(won.index) and len(won) > 300
    for deal, closed_at in won.closed_at.items():
        expected = [touch for touch in true_paths.get(deal, []) if touch[0] <= closed_at]
        assert paths[deal] == (expected or [(None, "no_touch")]), deal


def test_weights_sum_to_one_per_deal_model_and_conversion(pipeline_run, live_deals):
    sums = pipeline_run.query(
        "select conversion, model, count(*), min(total), max(total) from ("
        "  select deal_key, conversion, model, sum(weight) as total"
        "  from marts.attribution_credits group by all"
        ") group by all"
    )
    won = int((live_deals.outcome == "won").sum())
    expected_deals = {"pipeline": len(live_deals), "revenue": won}
    assert {(c, m) for c, m, *_ in sums} == {(c, m) for c in expected_deals for m in MODELS}
    for conversion, model, deals, low, high in sums:
        assert deals == expected_deals[conversion], (conversion, model)
        assert low == pytest.approx(1, abs=1e-8) and high == pytest.approx(1, abs=1e-8)


def test_attributed_totals_equal_the_pipeline_and_revenue_they_split(pipeline_run):
    pipeline, revenue = pipeline_run.query(
        "select sum(amount_at_creation_reporting), "
        "sum(case when is_won then amount_at_close_reporting end) "
        "from marts.deals where not is_excluded_from_metrics"
    )[0]
    assert pipeline > 1e6 and revenue > 1e5
    for table in ("attribution_credits", "attribution_by_channel"):
        totals = pipeline_run.query(
            f"select model, sum(attributed_pipeline), sum(attributed_revenue) "
            f"from marts.{table} group by model"
        )
        assert {model for model, *_ in totals} == MODELS
        for model, attributed_pipeline, attributed_revenue in totals:
            assert attributed_pipeline == pytest.approx(pipeline, rel=1e-9), (table, model)
            assert attributed_revenue == pytest.approx(revenue, rel=1e-9), (table, model)
    roi = pipeline_run.query(
        "select model, sum(attributed_revenue), sum(attributed_opportunities) "
        "from marts.marketing_roi group by model"
    )
    deals = pipeline_run.query(
        "select count(*) from marts.deals where not is_excluded_from_metrics"
    )[0][0]
    for model, attributed_revenue, opportunities in roi:
        assert attributed_revenue == pytest.approx(revenue, rel=1e-9), model
        assert opportunities == pytest.approx(deals, rel=1e-9), model


def test_spend_in_the_roi_mart_is_all_the_spend_each_model_sees(pipeline_run):
    spend = pipeline_run.query("select sum(cost_reporting) from intermediate.int_ad_spend_daily")
    per_model = pipeline_run.query("select model, sum(spend) from marts.marketing_roi group by 1")
    assert len(per_model) == len(MODELS)
    for model, total in per_model:
        assert total == pytest.approx(spend[0][0], rel=1e-9), model
    # Paid touches name their ad campaign: campaigns with spend also get attributed deals.
    matched = pipeline_run.query(
        "select count(*) from marts.marketing_roi where model = 'linear' "
        "and spend > 0 and attributed_opportunities > 0"
    )[0][0]
    assert matched > 10


def test_explain_deal_prints_every_models_weight_and_rule(pipeline_run, cli, capsys):
    deal_key, deal_id, channel = pipeline_run.query(
        "select deal_key, split_part(deal_key, ':', 3), channel from marts.attribution_credits "
        "where model = 'first_touch' and conversion = 'revenue' and weight = 1 "
        "and channel <> 'no_touch' order by deal_key limit 1"
    )[0]
    home = str(pipeline_run.settings.home)
    code, printed = cli(["explain-deal", deal_id, "--home", home])
    assert code == 0, printed
    assert printed.startswith(f"Deal {deal_key}: won")
    assert "\nPipeline (" in printed and "\nRevenue (" in printed
    assert f"  {channel}" in printed and "[first interaction" in printed
    for model in MODELS:
        assert f"       {model} " in printed, model
    assert "first interaction 100%" in printed

    code, printed = cli(["explain-deal", "no-such-deal", "--home", home])
    error = capsys.readouterr().err
    assert code == 1 and printed == ""
    assert "no deal 'no-such-deal' in marts.deals" in error and "select deal_key" in error
