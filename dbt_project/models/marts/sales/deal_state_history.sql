{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='deal_key',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where valid_from is null",
) }}
{#- One row per state of a deal: every time its stage, amount, close date, forecast
    category or owner changed, a new state starts; it is valid until the next one
    (valid_to null while current). Point-in-time questions join on
    valid_from <= t < coalesce(valid_to, infinity).

    Incremental by deal (groups_to_rebuild): a deal's states depend only on its own
    property changes (up to the as-of time), its currency and deleted / merged flags, and
    the stage mapping, so a daily run rebuilds only the deals whose fingerprint of those
    changed, and every deal when the mapping changes. -#}
with deals as (
    select
        deal_key,
        currency_code,
        is_deleted,
        merged_into_deal_key
    from {{ ref('int_deals') }}
),

stages as (
    select * from {{ ref('int_stages_mapped') }}
),

change_fingerprints as (
    select
        deal_key,
        {{ order_free_hash([
            'source_system', 'pipeline_id', 'changed_at', 'property_name', 'property_value',
        ]) }} as fingerprint
    from {{ ref('int_deal_property_changes') }}
    group by deal_key
),

mapping_fingerprint as (
    select
        {{ order_free_hash([
            'source_system', 'pipeline_id', 'stage_id', 'canonical_stage', 'is_closed',
            'is_won',
        ]) }} as fingerprint
    from stages
),

inputs as (
    select
        change_fingerprints.deal_key,
        {{ row_hash([
            'change_fingerprints.fingerprint', 'mapping_fingerprint.fingerprint',
            'deals.currency_code', 'deals.merged_into_deal_key', 'deals.is_deleted',
        ]) }} as inputs_fingerprint
    from change_fingerprints
    inner join deals on change_fingerprints.deal_key = deals.deal_key
    cross join mapping_fingerprint
),

{{ groups_to_rebuild('inputs', 'deal_key', 'state_number = 1') }},

changes as (
    select * from {{ ref('int_deal_property_changes') }}
    {%- if is_incremental() %}
        where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
),

-- One row per instant at which something changed, each property's new value in its column.
instants as (
    select
        deal_key,
        source_system,
        pipeline_id,
        changed_at,
        max(case when property_name = 'stage' then property_value end) as stage_id,
        max(case when property_name = 'amount' then property_value end) as amount_value,
        max(case when property_name = 'close_date' then property_value end) as close_date_value,
        max(case when property_name = 'forecast_category' then property_value end)
            as forecast_category,
        max(case when property_name = 'owner_key' then property_value end) as owner_key
    from changes
    group by deal_key, source_system, pipeline_id, changed_at
),

-- Each state carries forward the properties that did not change at its instant.
states as (
    select
        deal_key,
        source_system,
        pipeline_id,
        changed_at as valid_from,
        lead(changed_at) over (partition by deal_key order by changed_at) as valid_to,
        row_number() over (partition by deal_key order by changed_at) as state_number,
        {{ last_non_null('stage_id') }} over (
            partition by deal_key order by changed_at
            rows between unbounded preceding and current row
        ) as stage_id,
        {{ last_non_null('amount_value') }} over (
            partition by deal_key order by changed_at
            rows between unbounded preceding and current row
        ) as amount_value,
        {{ last_non_null('close_date_value') }} over (
            partition by deal_key order by changed_at
            rows between unbounded preceding and current row
        ) as close_date_value,
        {{ last_non_null('forecast_category') }} over (
            partition by deal_key order by changed_at
            rows between unbounded preceding and current row
        ) as forecast_category,
        {{ last_non_null('owner_key') }} over (
            partition by deal_key order by changed_at
            rows between unbounded preceding and current row
        ) as owner_key
    from instants
),

-- Close dates as days: a slip (metrics.md) moves the close date to a later day, not hour.
dated_states as (
    select
        states.*,
        cast({{ parse_utc_timestamp('states.close_date_value') }} as date) as close_date
    from states
)

select
    {{ dbt.concat([
        "groups_to_rebuild.deal_key", "'#'", dbt.safe_cast("dated_states.state_number", dbt.type_string()),
    ]) }} as deal_state_key,
    groups_to_rebuild.deal_key,
    dated_states.state_number,
    dated_states.valid_from,
    dated_states.valid_to,
    dated_states.valid_to is null as is_current,
    dated_states.pipeline_id,
    dated_states.stage_id,
    stages.canonical_stage,
    stages.is_closed,
    stages.is_won,
    cast(nullif(dated_states.amount_value, '') as {{ dbt.type_numeric() }}) as amount,
    deals.currency_code,
    dated_states.close_date,
    dated_states.close_date > lag(dated_states.close_date) over (
        partition by dated_states.deal_key order by dated_states.state_number
    ) as is_close_date_slip,
    lower(dated_states.forecast_category) as forecast_category,
    dated_states.owner_key,
    deals.is_deleted or deals.merged_into_deal_key is not null as is_excluded_from_metrics,
    groups_to_rebuild.inputs_fingerprint as _inputs_fingerprint,
    {{ built_at() }} as _built_at
from groups_to_rebuild
left join dated_states on groups_to_rebuild.deal_key = dated_states.deal_key
left join deals on groups_to_rebuild.deal_key = deals.deal_key
left join stages
    on
        dated_states.source_system = stages.source_system
        and dated_states.pipeline_id = stages.pipeline_id
        and dated_states.stage_id = stages.stage_id
