with source as (
    {{ current_versions(source('raw_csv', 'leads'), ['lead_id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('csv', '_source_instance', 'lead_id') }} as lead_key,
        'csv' as source_system,
        _source_instance as source_instance,
        lead_id,
        owner as owner_id,

        -- strings
        nullif(trim(source), '') as original_source,

        -- booleans
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('created_at') }} as created_at
    from source
)

select * from renamed
