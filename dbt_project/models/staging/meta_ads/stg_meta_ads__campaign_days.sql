with source as (
    {{ current_versions(source('raw_meta_ads', 'campaign_days'), ['campaign_id', 'date_start']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('meta_ads', '_source_instance', 'campaign_id') }} as campaign_key,
        'meta_ads' as platform,
        _source_instance as account_id,
        campaign_id,

        -- strings
        campaign_name,
        upper(account_currency) as currency_code,

        -- numbers: spend in the account's currency
        cast(spend as {{ dbt.type_numeric() }}) as cost,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,

        -- dates: a campaign's start and stop times are in the account's time zone, so their
        -- date part is the day the platform reports them on; no stop time while it runs
        cast(date_start as date) as spend_date,
        cast(substr(nullif(trim(campaign_start_time), ''), 1, 10) as date) as campaign_start_date,
        cast(substr(nullif(trim(campaign_stop_time), ''), 1, 10) as date) as campaign_end_date,

        -- versions
        _load_sequence as load_sequence,
        _loaded_at as loaded_at
    from source
    where not _vanished
)

select * from renamed
