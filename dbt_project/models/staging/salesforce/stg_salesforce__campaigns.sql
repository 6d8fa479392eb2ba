with source as (
    {{ current_versions(source('raw_salesforce', 'Campaign'), ['"Id"']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('salesforce', '_source_instance', '"Id"') }} as campaign_key,
        "Id" as campaign_id,

        -- strings
        "Name" as campaign_name,
        nullif(trim("Type"), '') as campaign_type,
        upper("CurrencyIsoCode") as currency_code,

        -- booleans
        coalesce(lower("IsDeleted") = 'true', false) as is_deleted,
        _vanished as is_vanished,

        -- dates
        cast({{ parse_utc_timestamp('"StartDate"') }} as date) as start_date,
        cast({{ parse_utc_timestamp('"EndDate"') }} as date) as end_date
    from source
)

select * from renamed
