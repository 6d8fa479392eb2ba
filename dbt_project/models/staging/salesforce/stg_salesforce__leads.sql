with source as (
    {{ current_versions(source('raw_salesforce', 'Lead'), ['"Id"']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('salesforce', '_source_instance', '"Id"') }} as lead_key,
        'salesforce' as source_system,
        _source_instance as source_instance,
        "Id" as lead_id,
        {{ source_key('salesforce', '_source_instance', '"ConvertedOpportunityId"') }}
            as converted_deal_key,

        -- strings
        lower(nullif(trim("Email"), '')) as email,
        "Status" as lead_status,
        nullif(trim("LeadSource"), '') as lead_source,

        -- booleans
        coalesce(lower("IsConverted") = 'true', false) as is_converted,
        coalesce(lower("IsDeleted") = 'true', false) as is_deleted,
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('"CreatedDate"') }} as created_at,
        {{ parse_utc_timestamp('"ConvertedDate"') }} as converted_at
    from source
)

select * from renamed
