{#- Every version of every CRM owner (HubSpot owners, Salesforce and Pipedrive users, the
    owners of a CSV owners export) in one shape: the input of int_owners (the latest) and
    int_owner_team_history (the succession). A CRM joins by adding its staging model, with
    these columns, to owner_models. -#}
{%- set owner_models = [
    'stg_hubspot__owner_versions',
    'stg_salesforce__user_versions',
    'stg_pipedrive__user_versions',
    'stg_csv__owner_versions',
] -%}
{%- set owner_columns = [
    'owner_key', 'source_system', 'source_instance', 'owner_id', 'owner_name', 'owner_email',
    'team_key', 'team_name', 'is_archived', 'modified_at', 'load_sequence', 'loaded_at',
] -%}

{%- for owner_model in owner_models %}
    {%- if not loop.first %}
        union all
    {%- endif %}
    select {{ owner_columns | join(', ') }}
    from {{ ref(owner_model) }}
{%- endfor %}
