with source as (
    {{ current_versions(source('raw_hubspot', 'owners'), ['id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('hubspot', '_source_instance', 'id') }} as owner_key,
        'hubspot' as source_system,
        _source_instance as source_instance,
        id as owner_id,
        {{ source_key('hubspot', '_source_instance', 'team_id') }} as team_key,

        -- strings
        trim({{ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) }})
            as owner_name,
        email as owner_email,
        team_name,

        -- booleans
        coalesce(archived, false) or _vanished as is_archived
    from source
)

select * from renamed
