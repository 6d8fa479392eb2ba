with source as (
    {{ current_versions(source('raw_pipedrive', 'persons'), ['id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('pipedrive', '_source_instance', 'id') }} as contact_key,
        'pipedrive' as source_system,
        _source_instance as source_instance,
        id as person_id,
        {{ source_key('pipedrive', '_source_instance', 'org_id') }} as organization_key,

        -- booleans
        coalesce(lower(is_deleted) = 'true', false) as is_deleted,
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('add_time') }} as created_at
    from source
)

select * from renamed
