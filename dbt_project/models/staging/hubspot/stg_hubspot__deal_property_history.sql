with source as (
    select * from {{ source('raw_hubspot', 'deal_property_history') }}
),

renamed as (
    select
        -- ids
        {{ source_key('hubspot', '_source_instance', 'deal_id') }} as deal_key,
        updated_by_user_id,

        -- strings
        property as property_name,
        value as property_value,
        source_type as change_source,

        -- timestamps
        {{ parse_utc_timestamp('"timestamp"') }} as changed_at
    from source
)

select * from renamed
