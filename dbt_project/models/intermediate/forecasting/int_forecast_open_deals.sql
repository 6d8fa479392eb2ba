{#- Every deal open at each as-of instant (the run's, backtests', landmarks'), as it stood
    then (only what was known then): stage, amount (reporting currency at the as-of day's
    rate), expected close date, forecast category, owner and team, the CRM's probability
    for its stage, and its days since it first entered the stage. A deal no forecast can
    use keeps its row with every reason (no amount, no exchange rate, no close date, an
    unmapped stage): it is listed, never summed as zero. Past as-of dates are kept between
    learnings (macros/learned_parameters.sql): a daily run adds its own. -#}
with dates_to_learn as (
    {{ as_of_dates_to_learn(ref('int_forecast_as_of_dates')) }}
),

as_of_dates as (
    select * from {{ ref('int_forecast_as_of_dates') }}
    where as_of_date in (select dates_to_learn.as_of_date from dates_to_learn)
),

states as (
    select * from {{ ref('deal_state_history') }}
    where not is_excluded_from_metrics
),

deals as (
    select
        deal_key,
        source_system,
        source_instance
    from {{ ref('deals') }}
),

mapped_stages as (
    select * from {{ ref('int_stages_mapped') }}
),

crm_stages as (
    select
        source_system,
        source_instance,
        pipeline_id,
        stage_id,
        crm_probability
    from {{ ref('stg_hubspot__pipeline_stages') }}
),

owners as (
    select
        owner_key,
        team_name
    from {{ ref('int_owners') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

stage_entries as (
    select
        deal_key,
        start_point,
        started_at
    from {{ ref('int_deal_time_to_close') }}
),

open_states as (
    select
        as_of_dates.as_of_date,
        as_of_dates.as_of_at,
        as_of_dates.is_current,
        as_of_dates.is_backtest,
        states.*
    from as_of_dates
    inner join states on {{ state_held_until('states', 'as_of_dates.as_of_at') }}
    where not coalesce(states.is_closed, false)
),

enriched as (
    select
        open_states.as_of_date,
        open_states.as_of_at,
        open_states.is_current,
        open_states.is_backtest,
        open_states.deal_key,
        open_states.pipeline_id,
        open_states.stage_id,
        open_states.canonical_stage,
        mapped_stages.sort_order,
        coalesce(open_states.owner_key, 'unassigned') as owner_key,
        coalesce(owners.team_name, 'unassigned') as team_name,
        open_states.amount,
        open_states.currency_code,
        open_states.amount * fx.rate_to_reporting as amount_reporting,
        open_states.close_date,
        replace(lower(trim(open_states.forecast_category)), ' ', '_') as crm_forecast_category,
        mapped_stages.canonical_forecast_category,
        cast(
            coalesce(crm_stages.crm_probability, mapped_stages.default_probability) as {{ type_double() }}
        ) as crm_probability,
        stage_entries.started_at as stage_entered_at,
        {{ days_between('stage_entries.started_at', 'open_states.as_of_at') }} as days_in_stage,
        {{ days_between('created.started_at', 'open_states.as_of_at') }} as deal_age_days,
        mapped_stages.stage_id is null as is_unmapped_stage,
        open_states.amount is null as has_no_amount,
        open_states.amount is not null and fx.rate_to_reporting is null as has_no_exchange_rate,
        open_states.close_date is null as has_no_close_date
    from open_states
    inner join deals on open_states.deal_key = deals.deal_key
    left join mapped_stages
        on
            deals.source_system = mapped_stages.source_system
            and open_states.pipeline_id = mapped_stages.pipeline_id
            and open_states.stage_id = mapped_stages.stage_id
    left join crm_stages
        on
            deals.source_system = crm_stages.source_system
            and deals.source_instance = crm_stages.source_instance
            and open_states.pipeline_id = crm_stages.pipeline_id
            and open_states.stage_id = crm_stages.stage_id
    left join owners on open_states.owner_key = owners.owner_key
    left join fx
        on
            open_states.as_of_date = fx.rate_date
            and open_states.currency_code = fx.currency_code
    left join stage_entries
        on
            open_states.deal_key = stage_entries.deal_key
            and open_states.canonical_stage = stage_entries.start_point
    left join stage_entries as created
        on
            open_states.deal_key = created.deal_key
            and created.start_point = 'created'
)

select
    as_of_date,
    as_of_at,
    is_current,
    is_backtest,
    deal_key,
    pipeline_id,
    stage_id,
    canonical_stage,
    sort_order,
    owner_key,
    team_name,
    amount,
    currency_code,
    amount_reporting,
    close_date,
    -- HubSpot says omit where Salesforce and the canonical stages say omitted.
    case
        when crm_forecast_category = 'omit' then 'omitted'
        else coalesce(crm_forecast_category, canonical_forecast_category)
    end as forecast_category,
    crm_probability,
    stage_entered_at,
    days_in_stage,
    -- Time-to-close curves are learned per band: a deal long in a stage closes differently.
    case
        when days_in_stage < 7 then '0-7'
        when days_in_stage < 14 then '7-14'
        when days_in_stage < 30 then '14-30'
        when days_in_stage < 60 then '30-60'
        when days_in_stage < 120 then '60-120'
        when days_in_stage < 240 then '120-240'
        when days_in_stage >= 240 then '240+'
    end as days_in_stage_band,
    deal_age_days,
    nullif(trim(
        {{ dbt.concat([
            "case when is_unmapped_stage then 'unmapped stage; ' else '' end",
            "case when has_no_amount then 'no amount; ' else '' end",
            "case when has_no_exchange_rate then 'no exchange rate for the currency; ' else '' end",
            "case when has_no_close_date then 'no close date; ' else '' end",
        ]) }}
    ), '') as exclusion_reason,
    {{ learned_parameters_columns() }}
from enriched
