with source as (
    {{ current_versions(source('raw_google_ads', 'campaign_days'), ['campaign_id', '"date"']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('google_ads', '_source_instance', 'campaign_id') }} as campaign_key,
        'google_ads' as platform,
        _source_instance as account_id,
        campaign_id,

        -- strings
        campaign_name,
        upper(currency_code) as currency_code,

        -- numbers: cost in the account's currency (Google reports micros)
        cast(
            cast(cost_micros as {{ dbt.type_bigint() }}) / 1000000.0 as {{ dbt.type_numeric() }}
        ) as cost,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,

        -- dates (Google's "no end date" is 2037-12-30)
        cast("date" as date) as spend_date,
        cast(nullif(trim(campaign_start_date), '') as date) as campaign_start_date,
        cast(nullif(trim(campaign_end_date), '') as date) as campaign_end_date,

        -- versions
        _load_sequence as load_sequence,
        _loaded_at as loaded_at
    from source
    where not _vanished
)

select * from renamed
