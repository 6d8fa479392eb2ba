with source as (
    {{ current_versions(source('raw_salesforce', 'Opportunity'), ['"Id"']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('salesforce', '_source_instance', '"Id"') }} as deal_key,
        'salesforce' as source_system,
        _source_instance as source_instance,
        "Id" as deal_id,
        -- Salesforce has no pipelines: the opportunity Type separates them.
        coalesce("Type", 'default') as pipeline_id,
        "StageName" as stage_id,
        {{ source_key('salesforce', '_source_instance', '"OwnerId"') }} as owner_key,

        -- strings
        "Name" as deal_name,
        upper("CurrencyIsoCode") as currency_code,
        lower("ForecastCategoryName") as forecast_category,

        -- numbers
        cast(nullif("Amount", '') as {{ dbt.type_numeric() }}) as amount,

        -- booleans
        coalesce(lower("IsDeleted") = 'true', false) as is_deleted,
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('"CreatedDate"') }} as created_at,
        {{ parse_utc_timestamp('"CloseDate"') }} as close_date_at
    from source
)

select * from renamed
