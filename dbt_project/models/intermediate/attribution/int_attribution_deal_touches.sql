{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='deal_key',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where touch_key is null",
) }}
{#- Every deal's touches within the lookback window (var attribution_lookback_days before
    the deal's creation; null: no limit), in (time, touch key) order, with the deal's key
    moments and the key points they make (HubSpot's definitions): the first interaction,
    lead creation (the last touch at or before the deal's first person became a contact or
    lead), deal creation (the last touch at or before the deal was created) and closed won
    (the last touch at or before a won deal closed). Each flag marks the touch itself, with
    no fallback: how a model fills a key point no touch holds is int_attribution_touches'.

    Incremental by deal (groups_to_rebuild): a deal's rows are made of its path's within
    the window only, so its fingerprint is its path's (int_deal_touch_paths) with the
    window's length, and a daily run rebuilds the deals whose path was rebuilt. -#}
{%- set lookback_days = var('attribution_lookback_days') %}
with windows as (
    select * from {{ ref('int_deal_touch_paths') }}
    {%- if lookback_days is not none %}
        where
            occurred_at
            >= {{ dbt.dateadd('day', -1 * lookback_days | int, 'deal_created_at') }}
    {%- endif %}
),

inputs as (
    select
        deal_key,
        {{ row_hash(['any_value(_inputs_fingerprint)', "'" ~ lookback_days ~ "'"]) }}
            as inputs_fingerprint
    from windows
    group by deal_key
),

{{ groups_to_rebuild('inputs', 'deal_key', 'touch_number = 1') }},

paths as (
    select * from windows
    {%- if is_incremental() %}
        where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
),

-- A deal's lead creation is its earliest person's (when they became a contact or lead),
-- among the people who touched it. Its window's touches are a tail of its path (the path
-- is in time order, the window cut by time), so they number on from the first of them: no
-- second sort of millions of touches.
deal_windows as (
    select
        paths.deal_key,
        min(paths.touch_number) as first_touch_number,
        min(paths.person_created_at) as lead_created_at
    from paths
    group by paths.deal_key
),

numbered as (
    select
        paths.*,
        deal_windows.lead_created_at,
        paths.touch_number - deal_windows.first_touch_number + 1 as window_touch_number
    from paths
    inner join deal_windows on paths.deal_key = deal_windows.deal_key
),

key_numbers as (
    select
        deal_key,
        max(case when occurred_at <= lead_created_at then window_touch_number end)
            as lead_creation_number,
        max(case when is_before_deal_creation then window_touch_number end)
            as deal_creation_number,
        max(case when is_deal_won and occurred_at <= deal_closed_at then window_touch_number end)
            as closed_won_number
    from numbered
    group by deal_key
)

select
    groups_to_rebuild.deal_key,
    numbered.window_touch_number as touch_number,
    numbered.touch_key,
    numbered.touch_source,
    numbered.person_key,
    numbered.occurred_at,
    numbered.channel,
    numbered.source_value,
    numbered.campaign,
    numbered.lead_created_at,
    numbered.deal_created_at,
    numbered.deal_closed_at,
    numbered.is_deal_won,
    numbered.window_touch_number = 1 as is_first_interaction,
    coalesce(numbered.window_touch_number = key_numbers.lead_creation_number, false)
        as is_lead_creation,
    coalesce(numbered.window_touch_number = key_numbers.deal_creation_number, false)
        as is_deal_creation,
    coalesce(numbered.window_touch_number = key_numbers.closed_won_number, false)
        as is_closed_won,
    numbered.is_before_deal_creation as is_in_pipeline_path,
    numbered.is_deal_won and numbered.occurred_at <= numbered.deal_closed_at as is_in_revenue_path,
    groups_to_rebuild.inputs_fingerprint as _inputs_fingerprint,
    {{ built_at() }} as _built_at
from groups_to_rebuild
left join numbered on groups_to_rebuild.deal_key = numbered.deal_key
left join key_numbers on groups_to_rebuild.deal_key = key_numbers.deal_key
