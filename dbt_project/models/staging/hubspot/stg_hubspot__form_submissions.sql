{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    meta={'watermark': 'raw_load_sequence'},
) }}
{#- A table, appended by raw load as stg_hubspot__deal_property_history: a submission never
    changes once made, so a daily build parses only the loads since its last build, where a
    view parsed every timestamp and URL again for each reader and test. -#}
with source as (
    select * from {{ source('raw_hubspot', 'form_submissions') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        -- ids
        {{ source_key('hubspot', '_source_instance', 'conversion_id') }} as submission_key,
        _source_instance as source_instance,
        conversion_id,
        form_id,

        -- strings
        lower(nullif(trim(email), '')) as email,
        page_url,
        nullif(regexp_extract(page_url, '[?&]utm_source=([^&#]*)', 1), '') as utm_source,
        nullif(regexp_extract(page_url, '[?&]utm_medium=([^&#]*)', 1), '') as utm_medium,
        nullif(regexp_extract(page_url, '[?&]utm_campaign=([^&#]*)', 1), '') as utm_campaign,

        -- timestamps: submittedAt is epoch milliseconds
        {{ parse_event_timestamp('trim(submitted_at)') }} as submitted_at,

        -- versions
        _loaded_at as loaded_at,
        _load_sequence,
        {{ built_at() }} as _built_at
    from source
)

select * from renamed
