{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='snapshot_date',
    on_schema_change='fail',
    meta={'rebuild_on_code_change': false},
) }}
{#- The open pipeline as it stood at the end of each day (reporting time zone), per
    pipeline x canonical stage x owner: what deal_daily_snapshots computes on every read,
    stored for the days of the run's window (macros/snapshot_window.sql). Every day in the
    window is recomputed from deal_state_history and replaces that day whole
    (delete+insert on snapshot_date), so rebuilding a day never duplicates or keeps a row;
    days outside the window are left as they are, also when this code changes (they are
    history a rebuild would cut to the window: `funnelhouse backfill` rebuilds them). -#}
{%- set window = snapshot_window() -%}

with days as (
    select
        date_day,
        {{ reporting_day_end_utc('date_day') }} as day_end_utc
    from {{ ref('calendar_days') }}
    where date_day between cast('{{ window.start }}' as date) and cast('{{ window.end }}' as date)
),

-- Only the states that overlap the window: the range join below then scans months, not
-- years, of history.
open_states as (
    select * from {{ ref('deal_state_history') }}
    where
        not is_closed
        and not is_excluded_from_metrics
        and (valid_to is null or valid_to >= (select min(days.day_end_utc) from days))
        and valid_from < (select max(days.day_end_utc) from days)
),

stages as (
    select
        canonical_stage,
        default_probability
    from {{ ref('canonical_stages') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

-- Each deal open at the end of a day, in the state it was in then.
open_deals as (
    select
        days.date_day as snapshot_date,
        states.pipeline_id,
        states.canonical_stage,
        states.owner_key,
        states.close_date,
        states.amount * fx.rate_to_reporting as amount_reporting
    from days
    inner join open_states as states on {{ state_held_until('states', 'days.day_end_utc') }}
    left join fx
        on
            days.date_day = fx.rate_date
            and states.currency_code = fx.currency_code
)

select
    open_deals.snapshot_date,
    open_deals.pipeline_id,
    open_deals.canonical_stage,
    open_deals.owner_key,
    count(*) as open_deals,
    coalesce(sum(open_deals.amount_reporting), 0) as open_amount_reporting,
    coalesce(
        sum(open_deals.amount_reporting * cast(stages.default_probability as {{ type_double() }})), 0
    ) as weighted_amount_reporting,
    count(case when open_deals.close_date < open_deals.snapshot_date then 1 end) as past_due_deals,
    coalesce(
        sum(case when open_deals.close_date < open_deals.snapshot_date then open_deals.amount_reporting end),
        0
    ) as past_due_amount_reporting,
    count(case when open_deals.amount_reporting is null then 1 end) as deals_without_amount
from open_deals
left join stages on open_deals.canonical_stage = stages.canonical_stage
group by
    open_deals.snapshot_date,
    open_deals.pipeline_id,
    open_deals.canonical_stage,
    open_deals.owner_key
