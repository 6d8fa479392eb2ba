{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='deal_key',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where conversion is null",
) }}
{#- The credit each attribution model gives each touch of a deal's conversion path: one row
    per deal, touch, model and conversion (pipeline: touches up to deal creation, split over
    the amount at creation; revenue: touches up to closed won, split over the amount at
    close, both in the reporting currency), with the weight, the rule that set it and the
    amount attributed. A deal with no touch in a conversion's path gets one row per model in
    the explicit "no_touch" bucket, weight 1: no pipeline or revenue is ever dropped.
    It is RevOps' audit trail too: for any deal, its touches in path order, the key points
    each is, and every model's weight with the rule behind it (`funnelhouse explain-deal`
    prints it).

    Incremental by deal (groups_to_rebuild): a deal's rows depend only on its conversions,
    touches, weights and amounts, so a daily run rebuilds only the deals where one of them
    changed. -#}
with deals as (
    select
        deal_key,
        amount_at_creation_reporting,
        amount_at_close_reporting
    from {{ ref('deals') }}
),

conversion_fingerprints as (
    select
        deal_key,
        {{ order_free_hash(['conversion', 'converted_at']) }} as fingerprint
    from {{ ref('int_attribution_conversions') }}
    group by deal_key
),

-- The touches' and weights' rows of a deal are built from what their fingerprints say.
touch_fingerprints as (
    select
        deal_key,
        any_value(_inputs_fingerprint) as fingerprint
    from {{ ref('int_attribution_touches') }}
    group by deal_key
),

weight_fingerprints as (
    select
        deal_key,
        any_value(_inputs_fingerprint) as fingerprint
    from {{ ref('int_attribution_weights') }}
    group by deal_key
),

inputs as (
    select
        conversion_fingerprints.deal_key,
        {{ row_hash([
            'conversion_fingerprints.fingerprint', 'touch_fingerprints.fingerprint',
            'weight_fingerprints.fingerprint', 'deals.amount_at_creation_reporting',
            'deals.amount_at_close_reporting', "'" ~ attribution_models() | join(',') ~ "'",
        ]) }} as inputs_fingerprint
    from conversion_fingerprints
    inner join deals on conversion_fingerprints.deal_key = deals.deal_key
    left join touch_fingerprints on conversion_fingerprints.deal_key = touch_fingerprints.deal_key
    left join weight_fingerprints
        on conversion_fingerprints.deal_key = weight_fingerprints.deal_key
),

{{ groups_to_rebuild('inputs', 'deal_key') }},

conversions as (
    select * from {{ ref('int_attribution_conversions') }}
    {%- if is_incremental() %}
        where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
),

touches as (
    select * from {{ ref('int_attribution_touches') }}
    {%- if is_incremental() %}
        where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
),

weights as (
    select * from {{ ref('int_attribution_weights') }}
    {%- if is_incremental() %}
        where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
),

models as (
    {{ attribution_model_rows() }}
),

credited as (
    select
        weights.deal_key,
        weights.conversion,
        weights.model,
        touches.touch_key,
        touches.path_position,
        touches.occurred_at,
        touches.channel,
        touches.source_value,
        touches.campaign,
        touches.key_points,
        weights.weight,
        weights.rule
    from weights
    inner join touches
        on
            weights.deal_key = touches.deal_key
            and weights.conversion = touches.conversion
            and weights.touch_key = touches.touch_key
),

untouched as (
    select
        conversions.deal_key,
        conversions.conversion,
        models.model,
        cast(null as {{ dbt.type_string() }}) as touch_key,
        cast(null as {{ dbt.type_bigint() }}) as path_position,
        cast(null as {{ dbt.type_timestamp() }}) as occurred_at,
        'no_touch' as channel,
        cast(null as {{ dbt.type_string() }}) as source_value,
        cast(null as {{ dbt.type_string() }}) as campaign,
        cast(null as {{ dbt.type_string() }}) as key_points,
        1.0 as weight,
        'no touch in the path: all of it to the no-touch bucket' as rule
    from conversions
    cross join models
    where not exists (
        select 1 from touches
        where touches.deal_key = conversions.deal_key and touches.conversion = conversions.conversion
    )
),

credits as (
    select * from credited
    union all
    select * from untouched
),

credited_amounts as (
    select
        credits.*,
        conversions.converted_at,
        case
            when credits.conversion = 'pipeline'
                then deals.amount_at_creation_reporting * credits.weight
        end as attributed_pipeline,
        case
            when credits.conversion = 'revenue' then deals.amount_at_close_reporting * credits.weight
        end as attributed_revenue
    from credits
    inner join conversions
        on credits.deal_key = conversions.deal_key and credits.conversion = conversions.conversion
    inner join deals on credits.deal_key = deals.deal_key
)

select
    groups_to_rebuild.deal_key,
    credits.conversion,
    credits.model,
    credits.touch_key,
    credits.path_position,
    credits.occurred_at,
    credits.channel,
    credits.source_value,
    credits.campaign,
    credits.key_points,
    credits.converted_at,
    credits.weight,
    credits.rule,
    credits.attributed_pipeline,
    credits.attributed_revenue,
    groups_to_rebuild.inputs_fingerprint as _inputs_fingerprint,
    {{ built_at() }} as _built_at
from groups_to_rebuild
left join credited_amounts as credits on groups_to_rebuild.deal_key = credits.deal_key
