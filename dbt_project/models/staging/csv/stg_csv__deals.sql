with source as (
    {{ current_versions(source('raw_csv', 'deals'), ['deal_id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('csv', '_source_instance', 'deal_id') }} as deal_key,
        'csv' as source_system,
        _source_instance as source_instance,
        deal_id,
        coalesce(nullif(trim(pipeline), ''), 'default') as pipeline_id,
        coalesce(nullif(trim(stage), ''), nullif(trim(status), '')) as stage_id,
        {{ source_key('csv', '_source_instance', 'lead_id') }} as lead_key,
        owner as owner_id,

        -- strings
        upper(currency) as currency_code,
        nullif(trim(source), '') as original_source,

        -- numbers
        cast(nullif(trim(amount), '') as {{ dbt.type_numeric() }}) as amount,

        -- booleans
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('created_at') }} as created_at,
        {{ parse_utc_timestamp('coalesce(closed_at, won_at, lost_at)') }} as closed_at,
        {{ parse_utc_timestamp('won_at') }} as won_at,
        {{ parse_utc_timestamp('expected_close_date') }} as close_date_at
    from source
)

select * from renamed
