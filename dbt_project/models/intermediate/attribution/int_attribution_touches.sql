{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='deal_key',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where touch_key is null",
) }}
{#- The touches each conversion is split over: one row per deal, conversion and touch in its
    path, the deal's touches in the lookback window up to the conversion point (deal
    creation for pipeline, closed won for revenue); later touches are left out. Each touch
    says which key points it holds for the position-based models, after these rules:
    - first interaction: the path's first touch;
    - lead creation: its touch when in the path, else the deal-creation key point (the
      last touch before deal creation), as U-shaped's second point falls back;
    - deal creation: its touch, else (revenue paths whose touches all came after the deal
      was created) the path's first touch;
    - closed won: the path's last touch; for pipeline, where the deal has not closed, that
      is the deal-creation touch.
    Key points on the same touch each count: the models add their shares.

    Incremental by deal (groups_to_rebuild): a deal's rows are made of its conversions and
    its touches in a path, whose fingerprint int_attribution_deal_touches hands down. -#}
with all_conversions as (
    select * from {{ ref('int_attribution_conversions') }}
),

all_touches as (
    select * from {{ ref('int_attribution_deal_touches') }}
),

inputs as (
    select
        touch_fingerprints.deal_key,
        {{ row_hash(['touch_fingerprints.fingerprint', 'conversion_fingerprints.fingerprint']) }}
            as inputs_fingerprint
    from (
        select
            deal_key,
            any_value(_inputs_fingerprint) as fingerprint
        from all_touches
        where is_in_pipeline_path or is_in_revenue_path
        group by deal_key
    ) as touch_fingerprints
    inner join (
        select
            deal_key,
            {{ order_free_hash(['conversion', 'converted_at']) }} as fingerprint
        from all_conversions
        group by deal_key
    ) as conversion_fingerprints
        on touch_fingerprints.deal_key = conversion_fingerprints.deal_key
),

{{ groups_to_rebuild('inputs', 'deal_key') }},

conversions as (
    select * from all_conversions
    {%- if is_incremental() %}
        where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
),

touches as (
    select * from all_touches
    {%- if is_incremental() %}
        where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
),

in_path as (
    select
        conversions.conversion,
        conversions.converted_at,
        touches.*,
        -- A path is a head of the deal's touches (those up to a moment, in time order):
        -- each touch's position in it is its number.
        touches.touch_number as path_position
    from conversions
    inner join touches on conversions.deal_key = touches.deal_key
    where
        (conversions.conversion = 'pipeline' and touches.is_in_pipeline_path)
        or (conversions.conversion = 'revenue' and touches.is_in_revenue_path)
),

key_positions as (
    select
        deal_key,
        conversion,
        count(*) as path_touches,
        max(case when is_lead_creation then path_position end) as lead_creation_position,
        max(case when is_deal_creation then path_position end) as deal_creation_position
    from in_path
    group by deal_key, conversion
)

select
    groups_to_rebuild.deal_key,
    in_path.conversion,
    in_path.converted_at,
    in_path.path_position,
    key_positions.path_touches,
    in_path.touch_number,
    in_path.touch_key,
    in_path.occurred_at,
    in_path.channel,
    in_path.source_value,
    in_path.campaign,
    -- The key points the touch is, as RevOps reads them (before any fallback below).
    nullif(concat_ws(
        ', ',
        case when in_path.is_first_interaction then 'first interaction' end,
        case when in_path.is_lead_creation then 'lead creation' end,
        case when in_path.is_deal_creation then 'deal creation' end,
        case when in_path.is_closed_won then 'closed won' end
    ), '') as key_points,
    in_path.path_position = 1 as holds_first_interaction,
    in_path.path_position = coalesce(
        key_positions.lead_creation_position, key_positions.deal_creation_position, 1
    ) as holds_lead_creation,
    key_positions.lead_creation_position is null as is_lead_creation_fallback,
    in_path.path_position = coalesce(key_positions.deal_creation_position, 1)
        as holds_deal_creation,
    key_positions.deal_creation_position is null as is_deal_creation_fallback,
    in_path.path_position = key_positions.path_touches as holds_closed_won,
    {{ days_between('in_path.occurred_at', 'in_path.converted_at') }} as days_before_conversion,
    groups_to_rebuild.inputs_fingerprint as _inputs_fingerprint,
    {{ built_at() }} as _built_at
from groups_to_rebuild
left join in_path on groups_to_rebuild.deal_key = in_path.deal_key
left join key_positions
    on in_path.deal_key = key_positions.deal_key and in_path.conversion = key_positions.conversion
