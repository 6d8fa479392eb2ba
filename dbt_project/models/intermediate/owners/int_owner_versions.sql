{#- Every version of every CRM owner (HubSpot owners, Salesforce and Pipedrive users) in
    one shape: the input of int_owners (the latest) and int_owner_team_history (the
    succession). -#}
with hubspot as (
    select
        owner_key,
        source_system,
        source_instance,
        owner_id,
        owner_name,
        owner_email,
        team_key,
        team_name,
        is_archived,
        modified_at,
        load_sequence,
        loaded_at
    from {{ ref('stg_hubspot__owner_versions') }}
),

salesforce as (
    select
        owner_key,
        source_system,
        source_instance,
        owner_id,
        owner_name,
        owner_email,
        team_key,
        team_name,
        is_archived,
        modified_at,
        load_sequence,
        loaded_at
    from {{ ref('stg_salesforce__user_versions') }}
),

-- Pipedrive's users listing names no team.
pipedrive as (
    select
        owner_key,
        source_system,
        source_instance,
        owner_id,
        owner_name,
        owner_email,
        cast(null as {{ dbt.type_string() }}) as team_key,
        cast(null as {{ dbt.type_string() }}) as team_name,
        is_archived,
        modified_at,
        load_sequence,
        loaded_at
    from {{ ref('stg_pipedrive__user_versions') }}
)

select * from hubspot
union all
select * from salesforce
union all
select * from pipedrive
