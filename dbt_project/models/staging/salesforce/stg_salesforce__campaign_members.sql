with source as (
    {{ current_versions(source('raw_salesforce', 'CampaignMember'), ['"Id"']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('salesforce', '_source_instance', '"Id"') }} as campaign_member_key,
        {{ source_key('salesforce', '_source_instance', '"CampaignId"') }} as campaign_key,
        {{ source_key('salesforce', '_source_instance', '"LeadId"') }} as lead_key,
        {{ source_key('salesforce', '_source_instance', '"ContactId"') }} as contact_key,

        -- strings
        "Status" as member_status,

        -- booleans
        coalesce(lower("HasResponded") = 'true', false) as has_responded,
        coalesce(lower("IsDeleted") = 'true', false) as is_deleted,
        _vanished as is_vanished,

        -- timestamps: CreatedDate is when the member joined (responded, for responders);
        -- FirstRespondedDate has only the day
        {{ parse_utc_timestamp('"CreatedDate"') }} as created_at,
        cast({{ parse_utc_timestamp('"FirstRespondedDate"') }} as date) as first_responded_date
    from source
)

select * from renamed
