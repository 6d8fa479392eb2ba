{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='deal_key',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where activity_key is null",
) }}
{#- One row per activity on a deal, numbered in order (occurred_at, then activity_key),
    with the stage visit the deal was in at that moment. Completed activities count up to
    the as-of time; activities still to do stay whatever their due date, overdue once it
    has passed. Activities on unknown or deleted deals are kept, flagged and excluded
    from metrics.

    Incremental by deal: a deal's rows depend only on its own activities (as of the as-of
    time) and its stage visits, so each row carries a fingerprint of those inputs, and a
    daily run rebuilds only the deals whose fingerprint changed (delete+insert by
    deal_key): new or edited activities, activities whose as-of status moved, restated
    deals, new stage visits. Exact by construction, whatever changed upstream and
    however far the as-of date moved. A deal left without activities comes back as one
    row with no activity, which replaces its old rows and which the post-hook removes. -#}
{#- Each input is read twice, for its fingerprints and for the deals rebuilt, rather than
    as one CTE read twice: DuckDB would write a CTE read twice whole (every activity) to
    memory before either read. -#}
{%- set visible_activities %}
    select
        activity_key,
        deal_key,
        activity_type,
        activity_status,
        owner_key,
        contact_key,
        source_system,
        is_completed,
        not is_completed and occurred_at < {{ as_of_timestamp() }} as is_overdue,
        is_orphan,
        is_on_deleted_deal,
        occurred_at
    from {{ ref('int_activities') }}
    where
        deal_key is not null
        and (not is_completed or occurred_at < {{ as_of_timestamp() }})
{%- endset %}
{%- set stage_visits %}
    select
        stage_visit_key,
        deal_key,
        pipeline_id,
        canonical_stage,
        entered_at,
        exited_at
    from {{ ref('deal_stage_visits') }}
{%- endset %}

with activities as (
    {{- visible_activities }}
),

visits as (
    {{- stage_visits }}
),

activity_fingerprints as (
    select
        deal_key,
        {{ order_free_hash([
            'activity_key', 'activity_type', 'activity_status', 'owner_key', 'contact_key',
            'source_system', 'is_completed', 'is_overdue', 'is_orphan', 'is_on_deleted_deal',
            'occurred_at',
        ]) }} as fingerprint
    from activities
    group by deal_key
),

visit_fingerprints as (
    select
        deal_key,
        {{ order_free_hash([
            'stage_visit_key', 'pipeline_id', 'canonical_stage', 'entered_at', 'exited_at',
        ]) }} as fingerprint
    from visits
    group by deal_key
),

inputs as (
    select
        activity_fingerprints.deal_key,
        {{ row_hash(['activity_fingerprints.fingerprint', 'visit_fingerprints.fingerprint']) }}
            as inputs_fingerprint
    from activity_fingerprints
    left join visit_fingerprints on activity_fingerprints.deal_key = visit_fingerprints.deal_key
),

{{ groups_to_rebuild('inputs', 'deal_key', 'activity_number = 1') }},

rebuilt_activities as (
    select * from ({{ visible_activities }}) as visible
    where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
),

rebuilt_visits as (
    select * from ({{ stage_visits }}) as stage_visits
    where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
),

final as (
    select
        activities.activity_key,
        groups_to_rebuild.deal_key,
        row_number() over (
            partition by groups_to_rebuild.deal_key
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
        activities.is_overdue,
        activities.is_orphan,
        activities.is_on_deleted_deal,
        activities.is_orphan or activities.is_on_deleted_deal as is_excluded_from_metrics,
        activities.occurred_at,
        groups_to_rebuild.inputs_fingerprint as _inputs_fingerprint,
        {{ built_at() }} as _built_at
    from groups_to_rebuild
    left join rebuilt_activities as activities
        on groups_to_rebuild.deal_key = activities.deal_key
    left join rebuilt_visits as visits
        on
            activities.deal_key = visits.deal_key
            and activities.occurred_at >= visits.entered_at
            and (visits.exited_at is null or activities.occurred_at < visits.exited_at)
)

select * from final
