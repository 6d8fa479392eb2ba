{#- The deal records of every enabled source in one shape, keyed by source system and CRM
    instance: what each source says a deal is now. History and point-in-time state are
    rebuilt from int_deal_property_changes. -#}
with hubspot as (
    select
        deal_key,
        source_system,
        source_instance,
        deal_id,
        deal_name,
        pipeline_id,
        stage_id,
        owner_key,
        currency_code,
        forecast_category,
        lost_reason,
        merged_deal_ids,
        amount,
        is_archived,
        is_vanished,
        created_at,
        close_date_at
    from {{ ref('stg_hubspot__deals') }}
),

-- An export may not say when a deal was created, only when it closed (Olist's won deals).
csv as (
    select
        deal_key,
        source_system,
        source_instance,
        deal_id,
        cast(null as {{ dbt.type_string() }}) as deal_name,
        pipeline_id,
        stage_id,
        {{ source_key('csv', 'source_instance', 'owner_id') }} as owner_key,
        currency_code,
        cast(null as {{ dbt.type_string() }}) as forecast_category,
        cast(null as {{ dbt.type_string() }}) as lost_reason,
        cast(null as {{ dbt.type_string() }}) as merged_deal_ids,
        amount,
        false as is_archived,
        is_vanished,
        coalesce(created_at, closed_at) as created_at,
        coalesce(close_date_at, closed_at) as close_date_at
    from {{ ref('stg_csv__deals') }}
),

salesforce as (
    select
        deal_key,
        source_system,
        source_instance,
        deal_id,
        deal_name,
        pipeline_id,
        stage_id,
        owner_key,
        currency_code,
        forecast_category,
        cast(null as {{ dbt.type_string() }}) as lost_reason,
        cast(null as {{ dbt.type_string() }}) as merged_deal_ids,
        amount,
        is_deleted as is_archived,
        is_vanished,
        created_at,
        close_date_at
    from {{ ref('stg_salesforce__opportunities') }}
),

pipedrive as (
    select
        deal_key,
        source_system,
        source_instance,
        deal_id,
        deal_name,
        pipeline_id,
        stage_id,
        owner_key,
        currency_code,
        cast(null as {{ dbt.type_string() }}) as forecast_category,
        lost_reason,
        cast(null as {{ dbt.type_string() }}) as merged_deal_ids,
        amount,
        is_deleted as is_archived,
        is_vanished,
        created_at,
        close_date_at
    from {{ ref('stg_pipedrive__deals') }}
)

select * from hubspot
union all
select * from salesforce
union all
select * from pipedrive
union all
select * from csv
