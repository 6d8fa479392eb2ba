with source as (
    select * from {{ source('raw_pipedrive', 'deal_flow') }}
),

renamed as (
    select
        -- ids
        {{ source_key('pipedrive', '_source_instance', 'deal_id') }} as deal_key,
        {{ source_key('pipedrive', '_source_instance', 'new_value') }} as new_value_key,

        -- strings
        field_key,
        new_value,

        -- timestamps (v1 times are UTC without a zone)
        {{ parse_utc_timestamp('log_time') }} as changed_at
    from source
)

select * from renamed
