{#- Time-aware: each forecastable open deal's chance of being won within each forecast
    period, read off the time-to-close curve of deals like it (same pipeline, stage and
    days-in-stage band at past month ends, as known at the as-of date; the stage's curve
    over all bands when the band has fewer than var('forecast_min_resolved_deals') closes):
    p = cif_won(e) - cif_won(s) for a period (s, e] days after the as-of instant, by whole
    day. Null when the stage had no history at all. Follows the open deals' learning
    (macros/learned_parameters.sql): past as-of dates are kept until they are learned
    again; a daily run adds its own. -#}
with dates_to_learn as (
    {{ as_of_dates_to_learn(ref('int_forecast_periods'), follows=ref('int_forecast_open_deals')) }}
),

deals as (
    select * from {{ ref('int_forecast_open_deals') }}
    where
        exclusion_reason is null
        and as_of_date in (select dates_to_learn.as_of_date from dates_to_learn)
),

periods as (
    select * from {{ ref('int_forecast_periods') }}
),

curves as (
    select * from {{ ref('int_forecast_close_curves') }}
),

curve_summaries as (
    select
        as_of_date,
        pipeline_id,
        start_point,
        days_in_stage_band,
        max(closes_observed) as closes_observed,
        max(median_days_to_close) as median_days_to_close,
        max(day) as last_day
    from curves
    group by as_of_date, pipeline_id, start_point, days_in_stage_band
),

deal_curves as (
    select
        deals.*,
        case
            when band.closes_observed >= {{ var('forecast_min_resolved_deals') }}
                then deals.days_in_stage_band
            else 'any'
        end as curve_band
    from deals
    inner join periods
        on
            deals.as_of_date = periods.as_of_date
            and periods.period_number = 1
    left join curve_summaries as band
        on
            deals.as_of_date = band.as_of_date
            and deals.pipeline_id = band.pipeline_id
            and deals.canonical_stage = band.start_point
            and deals.days_in_stage_band = band.days_in_stage_band
),

lookups as (
    select
        deal_curves.as_of_date,
        deal_curves.deal_key,
        deal_curves.pipeline_id,
        deal_curves.canonical_stage,
        deal_curves.curve_band,
        deal_curves.team_name,
        deal_curves.owner_key,
        deal_curves.amount_reporting,
        periods.period_number,
        periods.period_start_date,
        periods.fiscal_year,
        periods.fiscal_quarter,
        periods.fiscal_month,
        summaries.median_days_to_close,
        least(cast(floor(periods.days_to_start) as {{ dbt.type_int() }}), summaries.last_day)
            as day_period_starts,
        least(cast(floor(periods.days_to_end) as {{ dbt.type_int() }}), summaries.last_day)
            as day_period_ends
    from deal_curves
    inner join periods on deal_curves.as_of_date = periods.as_of_date
    left join curve_summaries as summaries
        on
            deal_curves.as_of_date = summaries.as_of_date
            and deal_curves.pipeline_id = summaries.pipeline_id
            and deal_curves.canonical_stage = summaries.start_point
            and deal_curves.curve_band = summaries.days_in_stage_band
)

select
    lookups.as_of_date,
    lookups.deal_key,
    lookups.pipeline_id,
    lookups.canonical_stage,
    lookups.curve_band,
    lookups.team_name,
    lookups.owner_key,
    lookups.amount_reporting,
    lookups.period_number,
    lookups.period_start_date,
    lookups.fiscal_year,
    lookups.fiscal_quarter,
    lookups.fiscal_month,
    period_ends.cif_won - period_starts.cif_won as win_probability,
    lookups.median_days_to_close,
    {{ learned_as_of_followed(ref('int_forecast_open_deals')) }} as learned_as_of
from lookups
left join curves as period_starts
    on
        lookups.as_of_date = period_starts.as_of_date
        and lookups.pipeline_id = period_starts.pipeline_id
        and lookups.canonical_stage = period_starts.start_point
        and lookups.curve_band = period_starts.days_in_stage_band
        and lookups.day_period_starts = period_starts.day
left join curves as period_ends
    on
        lookups.as_of_date = period_ends.as_of_date
        and lookups.pipeline_id = period_ends.pipeline_id
        and lookups.canonical_stage = period_ends.start_point
        and lookups.curve_band = period_ends.days_in_stage_band
        and lookups.day_period_ends = period_ends.day
