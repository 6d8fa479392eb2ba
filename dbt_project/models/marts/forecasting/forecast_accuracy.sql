{#- Backtests: for each past monthly as-of date, each method's forecast of the next month
    (revenue_forecast, rebuilt from deal_state_history with only what was known then)
    against what the deals open then actually won in that month (amount at the win,
    reporting currency at the win day's rate), per pipeline, scored over its team cells:
    WAPE = sum |F - A| / sum A, bias = sum (F - A) / sum A, and for monte_carlo the share of
    team cells whose actual fell within P10-P90. The backtest_ columns pool every as-of
    date; best_method is the method with the lowest pooled WAPE in the pipeline. -#}
with next_months as (
    select * from {{ ref('int_forecast_periods') }}
    where not is_current and period_number = 1
),

forecasts as (
    select * from {{ ref('revenue_forecast') }}
    where
        not is_current
        and period_number = 1
        and aggregation_level = 'team'
        and method <> 'new_deals'
),

open_deals as (
    select * from {{ ref('int_forecast_open_deals') }}
    where is_backtest and exclusion_reason is null
),

outcomes as (
    select * from {{ ref('int_forecast_deal_outcomes') }}
),

actuals as (
    select
        open_deals.as_of_date,
        open_deals.pipeline_id,
        open_deals.team_name,
        sum(outcomes.amount_at_close_reporting) as actual_amount_reporting
    from open_deals
    inner join outcomes
        on
            open_deals.as_of_date = outcomes.as_of_date
            and open_deals.deal_key = outcomes.deal_key
    inner join next_months
        on
            open_deals.as_of_date = next_months.as_of_date
            and outcomes.closed_at < next_months.ends_at
    where outcomes.is_won
    group by open_deals.as_of_date, open_deals.pipeline_id, open_deals.team_name
),

cells as (
    select distinct
        as_of_date,
        pipeline_id,
        team_name
    from open_deals
),

methods as (
    select distinct method from forecasts
),

cell_results as (
    select
        cells.as_of_date,
        cells.pipeline_id,
        cells.team_name,
        methods.method,
        coalesce(forecasts.forecast_amount_reporting, 0) as forecast_amount,
        coalesce(actuals.actual_amount_reporting, 0) as actual_amount,
        forecasts.p10_amount_reporting as p10_amount,
        forecasts.p90_amount_reporting as p90_amount
    from cells
    cross join methods
    left join forecasts
        on
            cells.as_of_date = forecasts.as_of_date
            and cells.pipeline_id = forecasts.pipeline_id
            and cells.team_name = forecasts.team_name
            and methods.method = forecasts.method
    left join actuals
        on
            cells.as_of_date = actuals.as_of_date
            and cells.pipeline_id = actuals.pipeline_id
            and cells.team_name = actuals.team_name
),

by_as_of as (
    select
        as_of_date,
        pipeline_id,
        method,
        count(*) as team_cells,
        sum(forecast_amount) as forecast_amount_reporting,
        sum(actual_amount) as actual_amount_reporting,
        sum(abs(forecast_amount - actual_amount)) as absolute_error_reporting,
        sum(forecast_amount - actual_amount) as error_reporting,
        case
            when method = 'monte_carlo'
                then count(
                    case
                        when actual_amount between coalesce(p10_amount, 0) and coalesce(p90_amount, 0)
                            then 1
                    end
                )
        end as cells_within_p10_p90
    from cell_results
    group by as_of_date, pipeline_id, method
),

pooled as (
    select
        *,
        sum(absolute_error_reporting) over (partition by pipeline_id, method)
        / nullif(sum(actual_amount_reporting) over (partition by pipeline_id, method), 0)
            as backtest_wape,
        sum(error_reporting) over (partition by pipeline_id, method)
        / nullif(sum(actual_amount_reporting) over (partition by pipeline_id, method), 0)
            as backtest_bias,
        sum(cells_within_p10_p90) over (partition by pipeline_id, method)
        * 1.0 / sum(team_cells) over (partition by pipeline_id, method)
            as backtest_p10_p90_coverage
    from by_as_of
)

select
    pooled.as_of_date,
    next_months.period_start_date,
    pooled.pipeline_id,
    pooled.method,
    pooled.team_cells,
    pooled.forecast_amount_reporting,
    pooled.actual_amount_reporting,
    pooled.absolute_error_reporting,
    pooled.absolute_error_reporting / nullif(pooled.actual_amount_reporting, 0) as wape,
    pooled.error_reporting / nullif(pooled.actual_amount_reporting, 0) as bias,
    pooled.cells_within_p10_p90,
    pooled.cells_within_p10_p90 * 1.0 / pooled.team_cells as p10_p90_coverage,
    pooled.backtest_wape,
    pooled.backtest_bias,
    pooled.backtest_p10_p90_coverage,
    first_value(pooled.method) over (
        partition by pooled.pipeline_id
        order by pooled.backtest_wape nulls last, pooled.method
        rows between unbounded preceding and unbounded following
    ) as best_method
from pooled
inner join next_months on pooled.as_of_date = next_months.as_of_date
