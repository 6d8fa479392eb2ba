{#- Every version of every owner of an owners export the landings have seen (not only the
    latest), keyed exactly as the same instance's deals, leads, activities and targets key
    the owner they name: an owner's team history is the succession of their versions
    (int_owner_team_history). An export says nothing of when a record changed, so a new
    team dates from the landing that first showed it. -#}
with source as (
    select * from {{ source('raw_csv', 'owners') }}
),

renamed as (
    select
        -- ids
        {{ source_key('csv', '_source_instance', 'owner') }} as owner_key,
        'csv' as source_system,
        _source_instance as source_instance,
        owner as owner_id,
        {{ source_key('csv', '_source_instance', "nullif(trim(team), '')") }} as team_key,

        -- strings
        nullif(trim(name), '') as owner_name,
        nullif(trim(email), '') as owner_email,
        nullif(trim(team), '') as team_name,

        -- booleans
        _vanished as is_archived,
        _vanished as is_vanished,

        -- timestamps
        cast(null as {{ dbt.type_timestamp() }}) as modified_at,

        -- versions
        _load_sequence as load_sequence,
        {{ tz_to_utc_timestamp('_loaded_at') }} as loaded_at
    from source
)

select * from renamed
