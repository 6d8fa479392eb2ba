{#- One row per deal open at a forecast as-of date (the run's, and each monthly backtest's),
    with everything known then: the CRM's stage probability; the historical conversion of
    its pipeline and stage (fewer than var forecast_min_resolved_deals resolved deals fall
    back to the CRM's probability, labelled); the time-aware chance of winning this period
    and the next; and the expected close month. Deals no forecast can use are listed with
    their reasons and have no probabilities. -#}
with deals as (
    select * from {{ ref('int_forecast_open_deals') }}
    where is_current or is_backtest
),

historical as (
    select * from {{ ref('int_stage_historical_win_rates') }}
),

period_probabilities as (
    select * from {{ ref('int_deal_period_win_probabilities') }}
),

time_aware as (
    select
        as_of_date,
        deal_key,
        max(case when period_number = 1 then win_probability end) as win_probability_this_period,
        max(case when period_number = 2 then win_probability end) as win_probability_next_period,
        sum(win_probability) as win_probability_within_horizon,
        max(median_days_to_close) as median_days_to_close
    from period_probabilities
    group by as_of_date, deal_key
),

first_periods as (
    select
        as_of_date,
        period_start_date
    from {{ ref('int_forecast_periods') }}
    where period_number = 1
)

select
    deals.as_of_date,
    deals.is_current,
    deals.deal_key,
    deals.pipeline_id,
    deals.stage_id,
    deals.canonical_stage,
    deals.owner_key,
    deals.team_name,
    deals.amount_reporting,
    deals.close_date,
    deals.forecast_category,
    deals.days_in_stage,
    deals.deal_age_days,
    case when deals.exclusion_reason is null then deals.crm_probability end as crm_probability,
    case
        when deals.exclusion_reason is not null then null
        when historical.resolved_deals >= {{ var('forecast_min_resolved_deals') }}
            then historical.win_rate
        else deals.crm_probability
    end as historical_win_probability,
    coalesce(historical.resolved_deals, 0) as historical_resolved_deals,
    case
        when deals.exclusion_reason is not null then null
        when historical.resolved_deals >= {{ var('forecast_min_resolved_deals') }}
            then 'history'
        else 'crm probability (too little history)'
    end as historical_probability_source,
    first_periods.period_start_date as this_period_start_date,
    time_aware.win_probability_this_period,
    time_aware.win_probability_next_period,
    time_aware.win_probability_within_horizon,
    time_aware.median_days_to_close,
    cast({{ dbt.date_trunc(
        'month',
        dbt.dateadd('day', 'cast(ceil(time_aware.median_days_to_close) as ' ~ dbt.type_int() ~ ')',
                    'deals.as_of_date'),
    ) }} as date) as expected_close_month,
    deals.exclusion_reason,
    deals.exclusion_reason is not null as is_excluded_from_forecast
from deals
inner join first_periods on deals.as_of_date = first_periods.as_of_date
left join historical
    on
        deals.as_of_date = historical.as_of_date
        and deals.pipeline_id = historical.pipeline_id
        and deals.canonical_stage = historical.canonical_stage
left join time_aware
    on
        deals.as_of_date = time_aware.as_of_date
        and deals.deal_key = time_aware.deal_key
