with source as (
    select * from {{ source('raw_hubspot', 'form_submissions') }}
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
        _loaded_at as loaded_at
    from source
)

select * from renamed
