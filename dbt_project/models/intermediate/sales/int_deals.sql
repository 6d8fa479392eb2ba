{#- Every deal of every source as it stood at the as-of time: the tracked properties take
    their last recorded value, falling back to the record's current value when a source
    keeps no history for them. -#}
with deals as (
    select *
    from {{ ref('int_deals_unioned') }}
    where created_at < {{ as_of_timestamp() }}
),

changes as (
    select * from {{ ref('int_deal_property_changes') }}
),

-- When each property last changed (changed_at is never null: a test says so).
last_changes as (
    select
        deal_key,
        property_name,
        max(changed_at) as changed_at
    from changes
    group by deal_key, property_name
),

-- Each property's value at its last change; of values changed at the same instant, the
-- smallest, so a rebuild always picks the same one.
latest_values as (
    select
        changes.deal_key,
        min(case when changes.property_name = 'amount' then changes.property_value end)
            as amount_value,
        min(case when changes.property_name = 'close_date' then changes.property_value end)
            as close_date_value,
        min(case when changes.property_name = 'owner_key' then changes.property_value end)
            as owner_key,
        min(case when changes.property_name = 'forecast_category' then changes.property_value end)
            as forecast_category
    from changes
    inner join last_changes
        on
            changes.deal_key = last_changes.deal_key
            and changes.property_name = last_changes.property_name
            and changes.changed_at = last_changes.changed_at
    group by changes.deal_key
),

current_stage as (
    select *
    from (
        select
            *,
            row_number() over (partition by deal_key order by change_number desc) as recency
        from {{ ref('int_deal_stage_changes') }}
    ) as ranked
    where recency = 1
),

-- Win rates and cycle credit the owner at close: the owner value in force at the final close.
owner_at_close as (
    select
        deal_key,
        owner_key
    from (
        select
            changes.deal_key,
            changes.property_value as owner_key,
            row_number() over (
                partition by changes.deal_key order by changes.changed_at desc
            ) as recency
        from changes
        inner join current_stage on changes.deal_key = current_stage.deal_key
        where
            changes.property_name = 'owner_key'
            and current_stage.is_closed
            and changes.changed_at <= current_stage.changed_at
    ) as ranked
    where recency = 1
),

merged_ids as (
    select
        source_system,
        source_instance,
        deal_key as survivor_deal_key,
        {{ split_to_rows('merged_deal_ids', ';') }} as merged_deal_id
    from deals
    where merged_deal_ids is not null and merged_deal_ids <> ''
),

merge_survivors as (
    select
        {{ dbt.concat(['source_system', "':'", 'source_instance', "':'", 'merged_deal_id']) }}
            as deal_key,
        min(survivor_deal_key) as merged_into_deal_key
    from merged_ids
    group by 1
)

select
    deals.deal_key,
    deals.source_system,
    deals.source_instance,
    deals.deal_id,
    deals.deal_name,
    deals.pipeline_id,
    coalesce(current_stage.stage_id, deals.stage_id) as stage_id,
    current_stage.canonical_stage,
    coalesce(current_stage.is_closed, false) as is_closed,
    coalesce(current_stage.is_won, false) as is_won,
    case when current_stage.is_closed then current_stage.changed_at end as closed_at,
    coalesce(latest_values.owner_key, deals.owner_key) as owner_key,
    owner_at_close.owner_key as owner_at_close_key,
    coalesce(
        cast(nullif(latest_values.amount_value, '') as {{ dbt.type_numeric() }}), deals.amount
    ) as amount,
    deals.currency_code,
    coalesce(
        {{ parse_utc_timestamp('latest_values.close_date_value') }}, deals.close_date_at
    ) as close_date_at,
    coalesce(lower(latest_values.forecast_category), deals.forecast_category)
        as forecast_category,
    deals.lost_reason,
    deals.created_at,
    deals.is_archived or deals.is_vanished as is_deleted,
    merge_survivors.merged_into_deal_key
from deals
left join latest_values on deals.deal_key = latest_values.deal_key
left join current_stage on deals.deal_key = current_stage.deal_key
left join owner_at_close on deals.deal_key = owner_at_close.deal_key
left join merge_survivors on deals.deal_key = merge_survivors.deal_key
