{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_key',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where source_system is null",
    meta={'watermark': 'raw_load_sequence'},
) }}
{#- Every source's sales activities in one shape, each on the deal it counts for: the deal
    the CRM lists it on, or the deal that one was merged into. Activities deleted in their
    CRM are dropped; those on unknown (never landed, quarantined) or deleted deals are kept
    and flagged. A source joins by adding its staging model, which keeps the shared
    activities contract, to activity_models.

    Incremental: a daily run rebuilds only the activities whose row can have changed, and
    replaces them by activity_key (delete+insert):
    - raw versions loaded since the last build (source_load_sequence above the largest this
      table holds for the source: load sequences grow with every load of a source), which
      also brings activities deleted in their CRM, as a row marking the deletion;
    - activities whose deal now counts differently (merged, deleted, landed, created)
      than the row says: int_deals is rebuilt whole every run, so this compares each row's
      logged deal with it rather than trusting a watermark;
    - every Salesforce activity, because whether an Event is completed depends on the
      as-of date (stg_salesforce__activities).
    on_schema_change is fail: rows built by an older version of this model cannot be
    mixed with new ones, so a change of columns needs `dbt build --full-refresh`. An edit
    of raw rows in place adds no version: `funnelhouse forget` drops the models whose meta
    names this watermark, so they are rebuilt whole. -#}
{%- set activity_models = [
    'stg_hubspot__activities',
    'stg_salesforce__activities',
    'stg_pipedrive__activities',
    'stg_csv__activities',
] -%}
{%- set contract_columns = [
    'activity_key', 'deal_key', 'contact_key', 'owner_key', 'activity_type', 'activity_status',
    'is_completed', 'occurred_at', 'source_system', 'is_vanished', '_load_sequence',
] -%}

with activities as (
    {%- for activity_model in activity_models %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select {{ contract_columns | join(', ') }}
        from {{ ref(activity_model) }}
        {%- if not is_incremental() %}
            where not is_vanished
        {%- endif %}
    {%- endfor %}
),

deals as (
    select
        deal_key,
        merged_into_deal_key,
        is_deleted,
        created_at
    from {{ ref('int_deals') }}
),

-- Each deal an activity may be logged on, and the deal its activities count for.
counted_on as (
    select
        logged.deal_key as logged_deal_key,
        coalesce(survivor.deal_key, logged.deal_key) as deal_key,
        coalesce(survivor.is_deleted, logged.is_deleted) as is_deleted,
        coalesce(survivor.created_at, logged.created_at) as created_at
    from deals as logged
    left join deals as survivor on logged.merged_into_deal_key = survivor.deal_key
),

{%- if is_incremental() %}

watermarks as (
    select
        source_system,
        max(source_load_sequence) as loaded_through
    from {{ this }}
    group by source_system
),

restated as (
    select built.activity_key
    from {{ this }} as built
    left join counted_on on built.logged_deal_key = counted_on.logged_deal_key
    where
        coalesce(counted_on.deal_key, built.logged_deal_key) is distinct from built.deal_key
        or built.is_orphan <> (built.logged_deal_key is not null and counted_on.deal_key is null)
        or built.is_on_deleted_deal <> coalesce(counted_on.is_deleted, false)
        or built.deal_created_at is distinct from counted_on.created_at
),

changed as (
    select activities.*
    from activities
    left join watermarks on activities.source_system = watermarks.source_system
    where
        watermarks.loaded_through is null
        or activities._load_sequence > watermarks.loaded_through
        or activities.source_system = 'salesforce'
        or activities.activity_key in (select restated.activity_key from restated)
),

{%- endif %}

final as (
    select
        activities.activity_key,
        coalesce(counted_on.deal_key, activities.deal_key) as deal_key,
        activities.deal_key as logged_deal_key,
        activities.contact_key,
        activities.owner_key,
        activities.activity_type,
        activities.activity_status,
        -- An activity deleted in its CRM since the last build comes without its source
        -- system, which every live row has: delete+insert removes its old row by its key,
        -- the post-hook this marker.
        case when not activities.is_vanished then activities.source_system end as source_system,
        activities.is_completed,
        activities.deal_key is not null and counted_on.deal_key is null as is_orphan,
        coalesce(counted_on.is_deleted, false) as is_on_deleted_deal,
        activities.occurred_at,
        counted_on.created_at as deal_created_at,
        activities._load_sequence as source_load_sequence,
        {{ built_at() }} as _built_at
    from {{ 'changed' if is_incremental() else 'activities' }} as activities
    left join counted_on on activities.deal_key = counted_on.logged_deal_key
)

select * from final
