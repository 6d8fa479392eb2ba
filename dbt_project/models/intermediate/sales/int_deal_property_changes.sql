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

-- Each OpportunityHistory row records the stage, amount and close date after a change.
salesforce_changes as (
    select
        history.deal_key,
        deals.source_system,
        deals.pipeline_id,
        properties.property_name,
        case properties.property_name
            when 'stage' then history.stage_id
            when 'amount' then history.amount_value
            else history.close_date_value
        end as property_value,
        history.changed_at
    from {{ ref('stg_salesforce__opportunity_history') }} as history
    inner join deals on history.deal_key = deals.deal_key
    cross join (
        select 'stage' as property_name
        union all
        select 'amount' as property_name
        union all
        select 'close_date' as property_name
    ) as properties
),

-- Owner history: the owner before the first change (or today's, if it never changed)
-- held the deal from its creation; each change hands it to the new owner.
salesforce_owners as (
    select
        deals.deal_key,
        deals.source_system,
        deals.pipeline_id,
        'owner_key' as property_name,
        coalesce(first_changes.old_owner_key, deals.owner_key) as property_value,
        deals.created_at as changed_at
    from deals
    left join (
        select
            deal_key,
            old_owner_key,
            row_number() over (partition by deal_key order by changed_at) as change_number
        from {{ ref('stg_salesforce__owner_changes') }}
    ) as first_changes
        on deals.deal_key = first_changes.deal_key and first_changes.change_number = 1
    where deals.source_system = 'salesforce'
    union all
    select
        changes.deal_key,
        deals.source_system,
        deals.pipeline_id,
        'owner_key' as property_name,
        changes.new_owner_key as property_value,
        changes.changed_at
    from {{ ref('stg_salesforce__owner_changes') }} as changes
    inner join deals on changes.deal_key = deals.deal_key
),

pipedrive_changes as (
    select
        flow.deal_key,
        deals.source_system,
        deals.pipeline_id,
        case flow.field_key
            when 'stage_id' then 'stage'
            when 'value' then 'amount'
            when 'expected_close_date' then 'close_date'
            when 'user_id' then 'owner_key'
        end as property_name,
        case when flow.field_key = 'user_id' then flow.new_value_key else flow.new_value end
            as property_value,
        flow.changed_at
    from {{ ref('stg_pipedrive__deal_flow') }} as flow
    inner join deals on flow.deal_key = deals.deal_key
    where flow.field_key in ('stage_id', 'value', 'expected_close_date', 'user_id')
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
    select * from salesforce_changes
    union all
    select * from salesforce_owners
    union all
    select * from pipedrive_changes
    union all
    select * from csv_stage_history
    union all
    select * from csv_current_values
)

select * from changes
where changed_at < {{ as_of_timestamp() }}
