{#- Every source's sales activities in one shape, each on the deal it counts for: the deal
    the CRM lists it on, or the deal that one was merged into. Activities deleted in their
    CRM are dropped; those on unknown (never landed, quarantined) or deleted deals are kept
    and flagged. A source joins by adding its staging model, which keeps the shared
    activities contract, to activity_models. -#}
{%- set activity_models = [
    'stg_hubspot__activities',
    'stg_salesforce__activities',
    'stg_pipedrive__activities',
    'stg_csv__activities',
] -%}
{%- set contract_columns = [
    'activity_key', 'deal_key', 'contact_key', 'owner_key', 'activity_type', 'activity_status',
    'is_completed', 'occurred_at', 'source_system',
] -%}

with activities as (
    {%- for activity_model in activity_models %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select {{ contract_columns | join(', ') }}
        from {{ ref(activity_model) }}
        where not is_vanished
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
)

select
    activities.activity_key,
    coalesce(counted_on.deal_key, activities.deal_key) as deal_key,
    activities.contact_key,
    activities.owner_key,
    activities.activity_type,
    activities.activity_status,
    activities.source_system,
    activities.is_completed,
    activities.deal_key is not null and counted_on.deal_key is null as is_orphan,
    coalesce(counted_on.is_deleted, false) as is_on_deleted_deal,
    activities.occurred_at,
    counted_on.created_at as deal_created_at
from activities
left join counted_on on activities.deal_key = counted_on.logged_deal_key
