{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='deal_key',
    on_schema_change='fail',
    meta={'watermark': 'raw_load_sequence'},
) }}
{#- A table, incremental by raw load (current_versions), as stg_hubspot__activities: a daily
    build ranks only the day's versions, where a view ranked every version of every deal
    again for int_deals_unioned and each test. -#}
with source as (
    {{ current_versions(source('raw_hubspot', 'deals'), ['id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('hubspot', '_source_instance', 'id') }} as deal_key,
        'hubspot' as source_system,
        _source_instance as source_instance,
        id as deal_id,
        pipeline as pipeline_id,
        dealstage as stage_id,
        {{ source_key('hubspot', '_source_instance', 'hubspot_owner_id') }} as owner_key,

        -- strings
        dealname as deal_name,
        upper(deal_currency_code) as currency_code,
        lower(hs_forecast_category) as forecast_category,
        closed_lost_reason as lost_reason,
        hs_merged_object_ids as merged_deal_ids,

        -- numbers
        cast(nullif(trim(amount), '') as {{ dbt.type_numeric() }}) as amount,

        -- booleans
        coalesce(archived, false) as is_archived,
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('createdate') }} as created_at,
        {{ parse_utc_timestamp('closedate') }} as close_date_at,
        {{ parse_utc_timestamp('hs_lastmodifieddate') }} as modified_at,
        {{ parse_utc_timestamp('archived_at') }} as archived_at,

        -- load metadata: the raw version's place in its source's loads
        _load_sequence,
        {{ built_at() }} as _built_at
    from source
)

select * from renamed
