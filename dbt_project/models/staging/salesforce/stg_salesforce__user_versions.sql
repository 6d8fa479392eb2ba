{#- Every version of every Salesforce user the syncs have seen: a user owns opportunities
    and activities, and their Department is their sales team. -#}
with source as (
    select * from {{ source('raw_salesforce', 'User') }}
),

renamed as (
    select
        -- ids
        {{ source_key('salesforce', '_source_instance', '"Id"') }} as owner_key,
        'salesforce' as source_system,
        _source_instance as source_instance,
        "Id" as owner_id,
        {{ source_key('salesforce', '_source_instance', "nullif(trim(\"Department\"), '')") }}
            as team_key,

        -- strings
        trim({{ dbt.concat(["coalesce(\"FirstName\", '')", "' '", "coalesce(\"LastName\", '')"]) }})
            as owner_name,
        "Email" as owner_email,
        nullif(trim("Department"), '') as team_name,

        -- booleans
        coalesce(lower("IsActive") = 'false', false) or _vanished as is_archived,
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('"SystemModstamp"') }} as modified_at,

        -- versions
        _load_sequence as load_sequence,
        {{ tz_to_utc_timestamp('_loaded_at') }} as loaded_at
    from source
)

select * from renamed
