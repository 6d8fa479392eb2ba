with source as (
    {{ current_versions(source('raw_hubspot', 'engagements'), ['id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('hubspot', '_source_instance', 'id') }} as engagement_key,
        {{ source_key('hubspot', '_source_instance', 'deal_id') }} as deal_key,
        {{ source_key('hubspot', '_source_instance', 'owner_id') }} as owner_key,

        -- strings
        lower(type) as engagement_type,
        lower(status) as engagement_status,

        -- booleans
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('"timestamp"') }} as occurred_at
    from source
)

select * from renamed
