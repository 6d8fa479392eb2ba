{#- One row per deal: its activities by type, first and last completed activity, days
    since the last one at the as-of time, completed activities per stay in an open stage,
    and its tasks still to do (overdue once their due time has passed). Deleted and
    merged deals stay, flagged and excluded from metrics. -#}
with deals as (
    select * from {{ ref('deals') }}
),

timeline as (
    select * from {{ ref('deal_activity_timeline') }}
),

per_deal as (
    select
        deal_key,
        count(*) as activities,
        count(case when activity_type = 'call' then 1 end) as calls,
        count(case when activity_type = 'email' then 1 end) as emails,
        count(case when activity_type = 'meeting' then 1 end) as meetings,
        count(case when activity_type = 'note' then 1 end) as notes,
        count(case when activity_type = 'task' then 1 end) as tasks,
        count(case when is_completed then 1 end) as completed_activities,
        count(case when activity_type = 'task' and not is_completed then 1 end) as open_tasks,
        count(case when activity_type = 'task' and is_overdue then 1 end) as overdue_open_tasks,
        min(case when is_completed then occurred_at end) as first_activity_at,
        max(case when is_completed then occurred_at end) as last_activity_at
    from timeline
    group by deal_key
),

open_stage_visits as (
    select
        deal_key,
        count(*) as stage_visits
    from {{ ref('deal_stage_visits') }}
    where not is_closed_stage
    group by deal_key
)

select
    deals.deal_key,
    deals.pipeline_id,
    deals.canonical_stage,
    deals.owner_key,
    deals.is_closed,
    coalesce(per_deal.activities, 0) as activities,
    coalesce(per_deal.calls, 0) as calls,
    coalesce(per_deal.emails, 0) as emails,
    coalesce(per_deal.meetings, 0) as meetings,
    coalesce(per_deal.notes, 0) as notes,
    coalesce(per_deal.tasks, 0) as tasks,
    coalesce(per_deal.completed_activities, 0) as completed_activities,
    coalesce(open_stage_visits.stage_visits, 0) as stage_visits,
    coalesce(per_deal.completed_activities, 0) * 1.0
    / nullif(open_stage_visits.stage_visits, 0) as activities_per_stage_visit,
    coalesce(per_deal.open_tasks, 0) as open_tasks,
    coalesce(per_deal.overdue_open_tasks, 0) as overdue_open_tasks,
    per_deal.first_activity_at,
    per_deal.last_activity_at,
    {{ days_between('per_deal.last_activity_at', as_of_timestamp()) }} as days_since_last_activity,
    deals.created_at,
    deals.is_excluded_from_metrics
from deals
left join per_deal on deals.deal_key = per_deal.deal_key
left join open_stage_visits on deals.deal_key = open_stage_visits.deal_key
