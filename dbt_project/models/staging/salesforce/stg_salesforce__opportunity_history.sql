with source as (
    select * from {{ source('raw_salesforce', 'OpportunityHistory') }}
),

renamed as (
    select
        -- ids
        {{ source_key('salesforce', '_source_instance', '"OpportunityId"') }} as deal_key,

        -- strings
        "StageName" as stage_id,
        "CloseDate" as close_date_value,
        "Amount" as amount_value,

        -- timestamps
        {{ parse_utc_timestamp('"CreatedDate"') }} as changed_at
    from source
)

select * from renamed
