with source as (
    select * from {{ source('raw_salesforce', 'OpportunityFieldHistory') }}
),

renamed as (
    select
        -- ids
        {{ source_key('salesforce', '_source_instance', '"OpportunityId"') }} as deal_key,
        {{ source_key('salesforce', '_source_instance', '"OldValue"') }} as old_owner_key,
        {{ source_key('salesforce', '_source_instance', '"NewValue"') }} as new_owner_key,

        -- timestamps
        {{ parse_utc_timestamp('"CreatedDate"') }} as changed_at
    from source
    where "Field" = 'Owner'
)

select * from renamed
