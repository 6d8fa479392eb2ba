{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='deal_key',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where period_month is null",
) }}
{#- One row per deal and month (reporting time zone) in which the deal moves through the
    pipeline due to close in that month: how it entered (starting, created, pulled in,
    reopened) and what became of it (stayed, won, lost, slipped), measured against the
    close date and amount it had at the month's start (or at creation). pipeline_movement
    sums these rows.

    Incremental by deal (groups_to_rebuild): a deal's rows depend only on its own states
    and on which months have begun by the as-of date. Within the as-of month the as-of
    time moves nothing for a deal whose states did not change: every state starts and
    ends before the as-of time, so the month's end (the as-of time, until the month is
    over) falls after all of them on either day. So the fingerprint is the deal's states
    and the as-of month: a daily run rebuilds the deals whose states changed, and every
    deal on the first day of a month. -#}
with periods as (
    select
        month_start_date as period_month,
        {{ local_to_utc('cast(month_start_date as ' ~ dbt.type_timestamp() ~ ')') }} as starts_at,
        {{ local_to_utc(dbt.dateadd('month', 1, 'cast(month_start_date as ' ~ dbt.type_timestamp() ~ ')')) }}
            as next_starts_at,
        {{ dbt.dateadd('month', 1, 'month_start_date') }} as next_month_start_date
    from {{ ref('calendar_days') }}
    where date_day = month_start_date and date_day <= {{ as_of_date() }}
),

bounded_periods as (
    select
        period_month,
        starts_at,
        case
            when next_starts_at > {{ as_of_timestamp() }} then {{ as_of_timestamp() }}
            else next_starts_at
        end as ends_at,
        cast(next_month_start_date as date) as next_month_start_date
    from periods
),

periods_fingerprint as (
    select
        {{ order_free_hash(['period_month', 'starts_at', 'next_starts_at']) }} as fingerprint
    from periods
),

state_fingerprints as (
    select
        deal_key,
        {{ order_free_hash([
            'state_number', 'valid_from', 'valid_to', 'pipeline_id', 'currency_code',
            'is_closed', 'is_won', 'close_date', 'amount',
        ]) }} as fingerprint
    from {{ ref('deal_state_history') }}
    where not is_excluded_from_metrics
    group by deal_key
),

inputs as (
    select
        state_fingerprints.deal_key,
        {{ row_hash([
            'state_fingerprints.fingerprint', 'periods_fingerprint.fingerprint',
        ]) }} as inputs_fingerprint
    from state_fingerprints
    cross join periods_fingerprint
),

{{ groups_to_rebuild('inputs', 'deal_key') }},

states as (
    select * from {{ ref('deal_state_history') }}
    where not is_excluded_from_metrics
    {%- if is_incremental() %}
        and deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
),

-- A deal's state at an instant t: valid_from <= t < valid_to. A deal that stays closed in
-- one state from the month's start to its end moves nothing in it; such deals are most of
-- what a month sees (every deal closed before it), so at_start and at_end leave them out.
at_start as (
    select
        periods.period_month,
        states.*
    from bounded_periods as periods
    inner join states
        on
            states.valid_from <= periods.starts_at
            and (states.valid_to is null or states.valid_to > periods.starts_at)
            and (not states.is_closed or states.valid_to < periods.ends_at)
),

created_in_period as (
    select
        periods.period_month,
        states.*
    from bounded_periods as periods
    inner join states
        on
            states.state_number = 1
            and states.valid_from > periods.starts_at
            and states.valid_from < periods.ends_at
),

at_end as (
    select
        periods.period_month,
        periods.starts_at,
        periods.next_month_start_date,
        states.*
    from bounded_periods as periods
    inner join states
        on
            {{ state_held_until('states', 'periods.ends_at') }}
            and (not states.is_closed or states.valid_from > periods.starts_at)
),

-- Did the deal move into a closed stage during the month?
closed_in_period as (
    select
        periods.period_month,
        states.deal_key
    from bounded_periods as periods
    inner join states
        on
            states.is_closed
            and states.valid_from >= periods.starts_at
            and states.valid_from < periods.ends_at
    group by periods.period_month, states.deal_key
),

deal_periods as (
    select
        ends.period_month,
        ends.deal_key,
        ends.pipeline_id,
        ends.currency_code,
        starts.deal_key is not null as existed_at_start,
        coalesce(starts.is_closed, false) as closed_at_start,
        -- The base is the deal at the month's start, or at creation when created in it.
        coalesce(starts.is_closed, created.is_closed) as base_is_closed,
        coalesce(starts.close_date, created.close_date) as base_close_date,
        coalesce(starts.amount, created.amount, 0) as base_amount,
        ends.is_closed as end_is_closed,
        ends.is_won as end_is_won,
        ends.close_date as end_close_date,
        coalesce(ends.amount, 0) as end_amount,
        ends.period_month as month_start,
        ends.next_month_start_date as month_end_exclusive,
        closed.deal_key is not null as closed_in_period
    from at_end as ends
    left join at_start as starts
        on ends.period_month = starts.period_month and ends.deal_key = starts.deal_key
    left join created_in_period as created
        on ends.period_month = created.period_month and ends.deal_key = created.deal_key
    left join closed_in_period as closed
        on ends.period_month = closed.period_month and ends.deal_key = closed.deal_key
    where starts.deal_key is not null or created.deal_key is not null
),

classified as (
    select
        *,
        not base_is_closed
        and base_close_date >= month_start
        and base_close_date < month_end_exclusive as in_base,
        not end_is_closed
        and end_close_date >= month_start
        and end_close_date < month_end_exclusive as in_end,
        end_is_closed
        and closed_in_period
        and end_close_date >= month_start
        and end_close_date < month_end_exclusive as closed_due_in_period
    from deal_periods
),

flows as (
    select
        period_month,
        deal_key,
        pipeline_id,
        currency_code,
        case
            when in_base and existed_at_start then 'starting'
            -- Created in the month: due in it at creation or by its end.
            when in_base or ((in_end or closed_due_in_period) and not existed_at_start)
                then 'created'
            when (in_end or closed_due_in_period) and closed_at_start then 'reopened'
            when in_end or closed_due_in_period then 'pulled_in'
        end as entry,
        case
            when in_base and in_end then 'stayed'
            when (in_base or in_end or closed_due_in_period) and end_is_won then 'won'
            when (in_base or in_end or closed_due_in_period) and end_is_closed then 'lost'
            when in_base then 'slipped'
        end as fate,
        -- Flows out are measured at the amount the deal entered with.
        case when in_base then base_amount else end_amount end as entry_amount,
        in_end as is_in_ending_pipeline,
        end_amount,
        case when in_base and in_end then end_amount - base_amount end as amount_change,
        in_base and in_end and end_close_date > base_close_date as is_pushed
    from classified
)

select
    flows.period_month,
    groups_to_rebuild.deal_key,
    flows.pipeline_id,
    flows.currency_code,
    flows.entry,
    flows.fate,
    flows.entry_amount,
    flows.is_in_ending_pipeline,
    flows.end_amount,
    flows.amount_change,
    flows.is_pushed,
    groups_to_rebuild.inputs_fingerprint as _inputs_fingerprint,
    {{ built_at() }} as _built_at
from groups_to_rebuild
left join flows
    on
        groups_to_rebuild.deal_key = flows.deal_key
        and flows.entry is not null
