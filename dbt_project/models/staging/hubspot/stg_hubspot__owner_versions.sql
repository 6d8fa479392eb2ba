{#- Every version of every owner the syncs have seen (not only the latest): an owner's
    team history is the succession of their versions (int_owner_team_history). -#}
with source as (
    select * from {{ source('raw_hubspot', 'owners') }}
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
        coalesce(archived, false) or _vanished as is_archived,
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('updated_at') }} as modified_at,

        -- versions
        _load_sequence as load_sequence,
        {{ tz_to_utc_timestamp('_loaded_at') }} as loaded_at
    from source
)

select * from renamed
