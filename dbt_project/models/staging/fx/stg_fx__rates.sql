with source as (
    {{ current_versions(source('raw_fx', 'rates'), ['"date"', 'currency']) }}
),

renamed as (
    select
        -- strings
        _source_instance as provider,
        upper(currency) as currency_code,

        -- numbers
        cast(usd_per_unit as {{ type_double() }}) as usd_per_unit,

        -- dates
        cast("date" as date) as rate_date
    from source
    where not _vanished
)

select * from renamed
