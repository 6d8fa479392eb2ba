{#- Every version of every Pipedrive user the syncs have seen: a user owns deals and
    activities. The users listing names no team. -#}
with source as (
    select * from {{ source('raw_pipedrive', 'users') }}
),

renamed as (
    select
        -- ids
        {{ source_key('pipedrive', '_source_instance', 'id') }} as owner_key,
        'pipedrive' as source_system,
        _source_instance as source_instance,
        id as owner_id,
        -- Pipedrive's users listing names no team.
        cast(null as {{ dbt.type_string() }}) as team_key,

        -- strings
        nullif(trim(name), '') as owner_name,
        email as owner_email,
        cast(null as {{ dbt.type_string() }}) as team_name,

        -- booleans
        coalesce(lower(active_flag) = 'false', false) or _vanished as is_archived,
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('modified') }} as modified_at,

        -- versions
        _load_sequence as load_sequence,
        {{ tz_to_utc_timestamp('_loaded_at') }} as loaded_at
    from source
)

select * from renamed
