with source as (
    {{ current_versions(source('raw_csv', 'targets'), ['period', 'pipeline', 'team', 'owner']) }}
),

renamed as (
    select
        -- ids
        'csv' as source_system,
        _source_instance as source_instance,
        trim(pipeline) as pipeline_id,
        nullif(trim(owner), '') as owner,
        nullif(trim(team), '') as team_name,

        -- strings
        trim(period) as period,
        coalesce(nullif(upper(trim(currency)), ''), '{{ var("reporting_currency") }}')
            as currency_code,

        -- numbers
        cast(nullif(trim(bookings_target), '') as {{ dbt.type_numeric() }}) as bookings_target,
        cast(nullif(trim(pipeline_target), '') as {{ dbt.type_numeric() }}) as pipeline_target,

        -- booleans
        _vanished as is_vanished
    from source
)

select * from renamed
