{#- Pipeline movement per month (reporting time zone) x pipeline: the open pipeline due to
    close in the month, from its start to its end, and every flow in between, measured
    against the close date and amount each deal had at the month's start (or at creation):

    ending = starting + created + pulled_in + reopened + amount_change - won - lost - slipped

    exactly, by count and by amount. A deal that enters the month's pipeline and closes
    within it shows on both sides. Amounts convert at the month's first day's rate. -#}
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

states as (
    select * from {{ ref('deal_state_history') }}
    where not is_excluded_from_metrics
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
        exists_closed.closed_in_period
    from at_end as ends
    left join at_start as starts
        on ends.period_month = starts.period_month and ends.deal_key = starts.deal_key
    left join created_in_period as created
        on ends.period_month = created.period_month and ends.deal_key = created.deal_key
    left join (
        -- Did the deal move into a closed stage during the month?
        select
            periods.period_month,
            states.deal_key,
            true as closed_in_period
        from bounded_periods as periods
        inner join states
            on
                states.is_closed
                and states.valid_from >= periods.starts_at
                and states.valid_from < periods.ends_at
        group by periods.period_month, states.deal_key
    ) as exists_closed
        on ends.period_month = exists_closed.period_month and ends.deal_key = exists_closed.deal_key
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
        and coalesce(closed_in_period, false)
        and end_close_date >= month_start
        and end_close_date < month_end_exclusive as closed_due_in_period
    from deal_periods
),

flows as (
    select
        classified.*,
        case
            when in_base then 'base'
            when (in_end or closed_due_in_period) and not existed_at_start then 'created'
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
        case when in_base then base_amount else end_amount end as entry_amount
    from classified
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

converted as (
    select
        flows.*,
        coalesce(fx.rate_to_reporting, 1) as rate
    from flows
    left join fx
        on flows.month_start = fx.rate_date and flows.currency_code = fx.currency_code
    where flows.entry is not null
)

select
    period_month,
    pipeline_id,
    count(case when entry = 'base' and existed_at_start then 1 end) as starting_deals,
    sum(case when entry = 'base' and existed_at_start then base_amount * rate else 0 end)
        as starting_amount,
    count(case when entry = 'created' or (entry = 'base' and not existed_at_start) then 1 end)
        as created_deals,
    sum(
        case
            when entry = 'created' or (entry = 'base' and not existed_at_start)
                then entry_amount * rate
            else 0
        end
    ) as created_amount,
    count(case when entry = 'pulled_in' then 1 end) as pulled_in_deals,
    sum(case when entry = 'pulled_in' then entry_amount * rate else 0 end) as pulled_in_amount,
    count(case when entry = 'reopened' then 1 end) as reopened_deals,
    sum(case when entry = 'reopened' then entry_amount * rate else 0 end) as reopened_amount,
    count(case when fate = 'won' then 1 end) as won_deals,
    sum(case when fate = 'won' then entry_amount * rate else 0 end) as won_amount,
    count(case when fate = 'lost' then 1 end) as lost_deals,
    sum(case when fate = 'lost' then entry_amount * rate else 0 end) as lost_amount,
    count(case when fate = 'slipped' then 1 end) as slipped_deals,
    sum(case when fate = 'slipped' then entry_amount * rate else 0 end) as slipped_amount,
    count(case when fate = 'stayed' and end_close_date > base_close_date then 1 end)
        as pushed_deals,
    sum(case when fate = 'stayed' then (end_amount - base_amount) * rate else 0 end)
        as amount_change,
    count(case when in_end then 1 end) as ending_deals,
    sum(case when in_end then end_amount * rate else 0 end) as ending_amount
from converted
group by period_month, pipeline_id
