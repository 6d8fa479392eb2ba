{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_key',
    on_schema_change='fail',
    meta={'watermark': 'raw_load_sequence'},
) }}
{#- HubSpot engagements in the activities contract every CRM's staging model shares
    (int_activities unions them). An activity is completed unless its status says it is
    still to do; a note has no status and is done when written.

    A table, incremental by raw load (current_versions): engagements are the largest raw
    table, and a view would rank all their versions again for every reader and test; a
    daily build ranks only the day's versions. -#}
with source as (
    {{ current_versions(source('raw_hubspot', 'engagements'), ['id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('hubspot', '_source_instance', 'id') }} as activity_key,
        {{ source_key('hubspot', '_source_instance', 'deal_id') }} as deal_key,
        {{ source_key('hubspot', '_source_instance', 'contact_id') }} as contact_key,
        {{ source_key('hubspot', '_source_instance', 'owner_id') }} as owner_key,

        -- strings
        case
            when lower(type) like '%email' then 'email' else lower(type)
        end as activity_type,
        lower(status) as activity_status,
        'hubspot' as source_system,

        -- booleans
        coalesce(
            lower(status) not in (
                'not_started', 'in_progress', 'waiting', 'deferred', 'scheduled', 'rescheduled',
                'queued'
            ),
            true
        ) as is_completed,
        _vanished as is_vanished,

        -- load metadata: the raw version's place in its source's loads
        _load_sequence,
        {{ built_at() }} as _built_at,

        -- timestamps
        {{ parse_utc_timestamp('"timestamp"') }} as occurred_at
    from source
)

select * from renamed
