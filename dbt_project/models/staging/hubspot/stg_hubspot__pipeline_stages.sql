with source as (
    {{ current_versions(source('raw_hubspot', 'pipeline_stages'), ['pipeline_id', 'stage_id']) }}
),

renamed as (
    select
        -- ids
        'hubspot' as source_system,
        _source_instance as source_instance,
        pipeline_id,
        stage_id,

        -- strings
        pipeline_label,
        stage_label,

        -- numbers
        pipeline_display_order,
        stage_display_order,
        cast(nullif(probability, '') as {{ dbt.type_numeric() }}) as crm_probability,

        -- booleans
        lower(is_closed) = 'true' as is_closed,
        coalesce(archived, false) or _vanished as is_archived
    from source
)

select * from renamed
