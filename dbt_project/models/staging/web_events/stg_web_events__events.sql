with source as (
    -- An event delivered in two export files is landed with each (a rewrite of either
    -- must not drop it): the copy landed first stands for it.
    select *
    from (
        select
            *,
            row_number() over (
                partition by _source_instance, event_id order by _load_sequence, export_file
            ) as _copy_rank
        from {{ source('raw_web_events', 'events') }}
    ) as copies
    where _copy_rank = 1
),

renamed as (
    select
        -- ids
        event_id,
        _source_instance as site,
        nullif(trim(anonymous_id), '') as anonymous_id,
        nullif(trim(user_id), '') as user_id,

        -- strings
        lower(nullif(trim(event_type), '')) as event_type,
        nullif(trim(event_name), '') as event_name,
        lower(nullif(trim(email), '')) as email,
        page_url,
        lower(regexp_extract(page_url, '^[a-zA-Z]+://([^/?#:]+)', 1)) as page_host,
        nullif(trim(page_referrer), '') as referrer,
        nullif(lower(regexp_extract(page_referrer, '^[a-zA-Z]+://([^/?#:]+)', 1)), '')
            as referrer_host,
        -- UTM parameters: the export's campaign fields, else the page URL's query string
        coalesce(
            nullif(trim(utm_source), ''),
            nullif(regexp_extract(page_url, '[?&]utm_source=([^&#]*)', 1), '')
        ) as utm_source,
        coalesce(
            nullif(trim(utm_medium), ''),
            nullif(regexp_extract(page_url, '[?&]utm_medium=([^&#]*)', 1), '')
        ) as utm_medium,
        coalesce(
            nullif(trim(utm_campaign), ''),
            nullif(regexp_extract(page_url, '[?&]utm_campaign=([^&#]*)', 1), '')
        ) as utm_campaign,
        coalesce(
            nullif(trim(utm_term), ''),
            nullif(regexp_extract(page_url, '[?&]utm_term=([^&#]*)', 1), '')
        ) as utm_term,
        coalesce(
            nullif(trim(utm_content), ''),
            nullif(regexp_extract(page_url, '[?&]utm_content=([^&#]*)', 1), '')
        ) as utm_content,
        user_agent,
        ip,
        export_file,

        -- timestamps
        {{ parse_event_timestamp('trim("timestamp")') }} as occurred_at,

        -- versions
        _loaded_at as loaded_at
    from source
)

select * from renamed
