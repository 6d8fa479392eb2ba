{#- Each usable sales target (int_sales_targets) against the bookings won so far, at the
    run's as-of date: closed won deals of the target's pipeline whose close falls in the
    period and before the as-of instant, credited to the owner at close (a team's target:
    to the team that owner was in at the close), at the amount at close in the reporting currency. The
    Monte Carlo forecast (int_forecast_simulations, the as-of date's draws) of what the
    owner's or team's open deals still win in the period, P10 / P50 / P90 of the same
    draws (a quarter's from each draw summed over its months), gives the projection:
    won so far + P50. A period already over has nothing left to forecast (0); one beyond
    the forecast horizon has no forecast (null). -#}
with targets as (
    select * from {{ ref('int_sales_targets') }}
    where target_problem is null
),

owners as (
    select * from {{ ref('int_owners') }}
),

won as (
    select
        deals.pipeline_id,
        deals.owner_at_close_key,
        deals.team_at_close,
        {{ reporting_date('deals.closed_at') }} as close_date,
        deals.amount_at_close_reporting
    from {{ ref('deals') }} as deals
    where
        deals.is_won
        and not deals.is_excluded_from_metrics
        and deals.closed_at < {{ as_of_timestamp() }}
),

horizon as (
    select * from {{ ref('int_forecast_periods') }}
    where is_current
),

forecasts as (
    select
        simulations.*,
        horizon.period_start_date as month_start_date
    from {{ ref('int_forecast_simulations') }} as simulations
    inner join horizon
        on
            simulations.as_of_date = horizon.as_of_date
            and simulations.period_number = horizon.period_number
    where simulations.aggregation_level in ('owner', 'team')
),

won_to_date as (
    select
        targets.target_key,
        count(won.close_date) as won_deals,
        coalesce(sum(won.amount_at_close_reporting), 0) as won_amount_reporting
    from targets
    left join won
        on
            targets.pipeline_id = won.pipeline_id
            and won.close_date >= targets.period_start_date
            and won.close_date < targets.period_end_date
            and (
                (targets.target_level = 'owner' and won.owner_at_close_key = targets.owner_key)
                or (targets.target_level = 'team' and won.team_at_close = targets.team_name)
            )
    group by targets.target_key
),

-- Whether the forecast periods reach the period's end: a month among them, or a quarter
-- whose last month is.
covered as (
    select distinct targets.target_key
    from targets
    inner join horizon
        on
            (
                targets.period_type = 'fiscal_month'
                and horizon.period_start_date = targets.period_start_date
            )
            or (
                targets.period_type = 'fiscal_quarter'
                and horizon.fiscal_year = targets.fiscal_year
                and horizon.fiscal_quarter = targets.fiscal_quarter
                and horizon.fiscal_month = targets.fiscal_quarter * 3
            )
),

forecast_of_targets as (
    select
        targets.target_key,
        sum(forecasts.p10_amount) as p10_amount,
        sum(forecasts.p50_amount) as p50_amount,
        sum(forecasts.p90_amount) as p90_amount
    from targets
    inner join forecasts
        on
            targets.pipeline_id = forecasts.pipeline_id
            and targets.target_level = forecasts.aggregation_level
            and targets.period_type = forecasts.period_type
            and (
                (targets.target_level = 'owner' and forecasts.owner_key = targets.owner_key)
                or (targets.target_level = 'team' and forecasts.team_name = targets.team_name)
            )
            and (
                (
                    targets.period_type = 'fiscal_month'
                    and forecasts.month_start_date = targets.period_start_date
                )
                or (
                    targets.period_type = 'fiscal_quarter'
                    and forecasts.fiscal_year = targets.fiscal_year
                    and forecasts.fiscal_quarter = targets.fiscal_quarter
                )
            )
    group by targets.target_key
),

measured as (
    select
        targets.*,
        case
            when targets.period_end_date <= {{ dbt.dateadd('day', 1, as_of_date()) }} then 'closed'
            when targets.period_start_date > {{ as_of_date() }} then 'future'
            else 'current'
        end as period_status,
        won_to_date.won_deals,
        won_to_date.won_amount_reporting,
        covered.target_key is not null as is_forecast_covered,
        forecast_of_targets.p10_amount,
        forecast_of_targets.p50_amount,
        forecast_of_targets.p90_amount
    from targets
    inner join won_to_date on targets.target_key = won_to_date.target_key
    left join covered on targets.target_key = covered.target_key
    left join forecast_of_targets on targets.target_key = forecast_of_targets.target_key
),

projected as (
    select
        *,
        case
            when period_status = 'closed' then 0
            when is_forecast_covered then coalesce(p10_amount, 0)
        end as forecast_p10_amount_reporting,
        case
            when period_status = 'closed' then 0
            when is_forecast_covered then coalesce(p50_amount, 0)
        end as forecast_p50_amount_reporting,
        case
            when period_status = 'closed' then 0
            when is_forecast_covered then coalesce(p90_amount, 0)
        end as forecast_p90_amount_reporting
    from measured
)

select
    {{ as_of_date() }} as as_of_date,
    projected.target_key,
    projected.target_source,
    projected.period,
    projected.period_type,
    projected.period_start_date,
    projected.period_end_date,
    projected.fiscal_year,
    projected.fiscal_quarter,
    projected.fiscal_month,
    projected.period_status,
    projected.pipeline_id,
    projected.target_level,
    projected.team_name,
    projected.owner_key,
    owners.owner_name,
    projected.bookings_target_reporting as target_amount_reporting,
    projected.won_deals as won_deals_to_date,
    projected.won_amount_reporting as won_amount_to_date_reporting,
    projected.won_amount_reporting / nullif(projected.bookings_target_reporting, 0) as attainment,
    greatest(projected.bookings_target_reporting - projected.won_amount_reporting, 0)
        as remaining_target_reporting,
    projected.forecast_p10_amount_reporting,
    projected.forecast_p50_amount_reporting,
    projected.forecast_p90_amount_reporting,
    projected.won_amount_reporting + projected.forecast_p50_amount_reporting
        as projected_amount_reporting,
    (projected.won_amount_reporting + projected.forecast_p10_amount_reporting)
    / nullif(projected.bookings_target_reporting, 0) as projected_attainment_p10,
    (projected.won_amount_reporting + projected.forecast_p50_amount_reporting)
    / nullif(projected.bookings_target_reporting, 0) as projected_attainment,
    (projected.won_amount_reporting + projected.forecast_p90_amount_reporting)
    / nullif(projected.bookings_target_reporting, 0) as projected_attainment_p90,
    projected.bookings_target_reporting
    - projected.won_amount_reporting
    - projected.forecast_p50_amount_reporting as gap_to_target_reporting
from projected
left join owners on projected.owner_key = owners.owner_key
