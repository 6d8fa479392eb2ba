{#- One row per activity on a deal, numbered in order (occurred_at, then activity_key),
    with the stage visit the deal was in at that moment. Completed activities count up to
    the as-of time; activities still to do stay whatever their due date, overdue once it
    has passed. Activities on unknown or deleted deals are kept, flagged and excluded
    from metrics. -#}
with activities as (
    select * from {{ ref('int_activities') }}
    where
        deal_key is not null
        and (not is_completed or occurred_at < {{ as_of_timestamp() }})
),

visits as (
    select
        stage_visit_key,
        deal_key,
        pipeline_id,
        canonical_stage,
        entered_at,
        exited_at
    from {{ ref('deal_stage_visits') }}
)

select
    activities.activity_key,
    activities.deal_key,
    row_number() over (
        partition by activities.deal_key
        order by activities.occurred_at, activities.activity_key
    ) as activity_number,
    activities.activity_type,
    activities.activity_status,
    activities.owner_key,
    activities.contact_key,
    activities.source_system,
    visits.stage_visit_key,
    visits.pipeline_id,
    visits.canonical_stage,
    activities.is_completed,
    not activities.is_completed and activities.occurred_at < {{ as_of_timestamp() }} as is_overdue,
    activities.is_orphan,
    activities.is_on_deleted_deal,
    activities.is_orphan or activities.is_on_deleted_deal as is_excluded_from_metrics,
    activities.occurred_at
from activities
left join visits
    on
        activities.deal_key = visits.deal_key
        and activities.occurred_at >= visits.entered_at
        and (visits.exited_at is null or activities.occurred_at < visits.exited_at)
