with source as (
    {{ current_versions(source('raw_hubspot', 'companies'), ['id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('hubspot', '_source_instance', 'id') }} as company_key,
        'hubspot' as source_system,
        _source_instance as source_instance,
        id as company_id,

        -- strings
        name as company_name,
        lower(domain) as company_domain,
        industry,
        country,

        -- numbers
        cast(nullif(trim(numberofemployees), '') as {{ dbt.type_int() }}) as employee_count,
        cast(nullif(trim(annualrevenue), '') as {{ dbt.type_numeric() }}) as annual_revenue,

        -- booleans
        coalesce(archived, false) or _vanished as is_deleted,

        -- timestamps
        {{ parse_utc_timestamp('createdate') }} as created_at
    from source
)

select * from renamed
