with source as (
    {{ current_versions(source('raw_hubspot', 'deal_contacts'), ['deal_id', 'contact_id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('hubspot', '_source_instance', 'deal_id') }} as deal_key,
        {{ source_key('hubspot', '_source_instance', 'contact_id') }} as contact_key,

        -- numbers
        association_type_id
    from source
    where not _vanished
)

select * from renamed
