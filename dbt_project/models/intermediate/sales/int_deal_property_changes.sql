{#- Every recorded value of a tracked deal property (stage, amount, close_date,
    forecast_category, owner_key) up to the as-of time, for every source: the one input
    from which stage history and point-in-time state are rebuilt. -#}
with deals as (
    select * from {{ ref('int_deals_unioned') }}
),

-- HubSpot's property names, mapped to the canonical ones.
hubspot_changes as (
    select
        history.deal_key,
        deals.source_system,
        deals.pipeline_id,
        case history.property_name
            when 'dealstage' then 'stage'
            when 'closedate' then 'close_date'
            when 'hs_forecast_category' then 'forecast_category'
            when 'hubspot_owner_id' then 'owner_key'
            else history.property_name
        end as property_name,
        case
            when history.property_name = 'hubspot_owner_id'
                then {{ source_key('hubspot', 'deals.source_instance', 'history.property_value') }}
            else history.property_value
        end as property_value,
        history.changed_at
    from {{ ref('stg_hubspot__deal_property_history') }} as history
    -- Deals that were quarantined at load have no staged row, so their history stays out too.
    inner join deals on history.deal_key = deals.deal_key
),

-- An export without stage history only tells a deal's current values: they are recorded
-- once, when the deal closed (closed deals) or was created (open ones).
csv_deals as (
    select
        deals.deal_key,
        deals.source_system,
        deals.pipeline_id,
        deals.stage_id,
        deals.amount,
        deals.close_date_at,
        deals.owner_key,
        case when stages.is_closed then deals.close_date_at else deals.created_at end
            as recorded_at
    from deals
    left join {{ ref('int_stages_mapped') }} as stages
        on
            deals.source_system = stages.source_system
            and deals.pipeline_id = stages.pipeline_id
            and deals.stage_id = stages.stage_id
    where deals.source_system = 'csv'
),

csv_stage_history as (
    select
        history.deal_key,
        deals.source_system,
        deals.pipeline_id,
        'stage' as property_name,
        history.stage_id as property_value,
        history.changed_at
    from {{ ref('stg_csv__stage_history') }} as history
    inner join csv_deals as deals on history.deal_key = deals.deal_key
),

csv_current_values as (
    select
        deal_key,
        source_system,
        pipeline_id,
        'stage' as property_name,
        stage_id as property_value,
        recorded_at as changed_at
    from csv_deals
    where deal_key not in (select csv_stage_history.deal_key from csv_stage_history)
    union all
    select
        deal_key,
        source_system,
        pipeline_id,
        'amount' as property_name,
        cast(amount as {{ dbt.type_string() }}) as property_value,
        recorded_at as changed_at
    from csv_deals
    union all
    select
        deal_key,
        source_system,
        pipeline_id,
        'close_date' as property_name,
        cast(close_date_at as {{ dbt.type_string() }}) as property_value,
        recorded_at as changed_at
    from csv_deals
    union all
    select
        deal_key,
        source_system,
        pipeline_id,
        'owner_key' as property_name,
        owner_key as property_value,
        recorded_at as changed_at
    from csv_deals
),

changes as (
    select * from hubspot_changes
    union all
    select * from csv_stage_history
    union all
    select * from csv_current_values
)

select * from changes
where changed_at < {{ as_of_timestamp() }}
