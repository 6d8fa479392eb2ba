{#- Open deals at the as-of date that need a rep's attention, with every reason that
    applies: stale (longer in the current stage than 1.5 x the median stay of won deals
    there), past their expected close date, idle (no completed activity for longer than
    the current stage's idle_after_days in canonical_stages), or with overdue open
    tasks. -#}
{%- set stale_factor = 1.5 -%}
with open_deals as (
    select * from {{ ref('deals') }}
    where not is_closed and not is_excluded_from_metrics
),

current_visits as (
    select
        deal_key,
        entered_at,
        days_in_stage
    from {{ ref('deal_stage_visits') }}
    where is_current
),

won_stays as (
    select
        visits.pipeline_id,
        visits.canonical_stage,
        {{ percentile('visits.days_in_stage', 0.5) }} as median_won_days_in_stage
    from {{ ref('deal_stage_visits') }} as visits
    inner join {{ ref('deals') }} as deals on visits.deal_key = deals.deal_key
    where deals.is_won and visits.exited_at is not null and not visits.is_excluded_from_metrics
    group by visits.pipeline_id, visits.canonical_stage
),

engagement as (
    select
        deal_key,
        last_activity_at,
        overdue_open_tasks
    from {{ ref('deal_engagement') }}
),

stages as (
    select
        canonical_stage,
        idle_after_days
    from {{ ref('canonical_stages') }}
),

measured as (
    select
        open_deals.deal_key,
        open_deals.deal_name,
        open_deals.pipeline_id,
        open_deals.canonical_stage,
        open_deals.owner_key,
        open_deals.owner_name,
        open_deals.team_name,
        open_deals.amount_reporting,
        current_visits.days_in_stage,
        won_stays.median_won_days_in_stage * {{ stale_factor }} as stale_after_days,
        cast(open_deals.close_date_at as date) as expected_close_date,
        {{ dbt.datediff('cast(open_deals.close_date_at as date)', as_of_date(), 'day') }}
            as days_past_close_date,
        engagement.last_activity_at,
        {{ days_between(
            'coalesce(engagement.last_activity_at, open_deals.created_at)', as_of_timestamp()
        ) }} as days_since_last_activity,
        stages.idle_after_days,
        engagement.overdue_open_tasks
    from open_deals
    left join current_visits on open_deals.deal_key = current_visits.deal_key
    left join won_stays
        on
            open_deals.pipeline_id = won_stays.pipeline_id
            and open_deals.canonical_stage = won_stays.canonical_stage
    left join engagement on open_deals.deal_key = engagement.deal_key
    left join stages on open_deals.canonical_stage = stages.canonical_stage
),

flagged as (
    select
        *,
        coalesce(days_in_stage > stale_after_days, false) as is_stale,
        days_past_close_date > 0 as is_past_close_date,
        coalesce(days_since_last_activity > idle_after_days, false) as is_idle,
        overdue_open_tasks > 0 as has_overdue_tasks
    from measured
)

select
    *,
    trim(
        {{ dbt.concat([
            "case when is_stale then 'stale in stage; ' else '' end",
            "case when is_past_close_date then 'past close date; ' else '' end",
            "case when is_idle then 'no recent activity; ' else '' end",
            "case when has_overdue_tasks then 'overdue tasks; ' else '' end",
        ]) }}
    ) as reasons,
    row_number() over (
        order by
            (case when is_stale then 1 else 0 end)
            + (case when is_past_close_date then 1 else 0 end)
            + (case when is_idle then 1 else 0 end)
            + (case when has_overdue_tasks then 1 else 0 end) desc,
            amount_reporting desc nulls last,
            deal_key
    ) as priority_rank
from flagged
where is_stale or is_past_close_date or is_idle or has_overdue_tasks
