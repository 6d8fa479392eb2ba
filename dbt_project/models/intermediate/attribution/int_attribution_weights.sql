{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='deal_key',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where model is null",
) }}
{#- The weight every attribution model gives every touch of a conversion's path, and the rule
    that set it, in words RevOps can check by hand. Weights of a deal, conversion and model
    add up to 1 (deals with no touch in the path are the marts' "no touch" bucket); they
    are kept to 10 decimal places, so every engine gives the same digits.
    - Position-based (var attribution_position_shares): a touch gets the shares of the key
      points it holds (int_attribution_touches), summed when several fall on it; the middle
      share is spread equally over the touches holding none; with no such touch, the key
      points' shares are scaled up in proportion to fill the middle share.
    - Linear: 1 / the path's touches.
    - Time decay: 2^(-days before the conversion / var attribution_half_life_days),
      normalised over the path.
    - Markov, Shapley: the channel's credit (int_attribution_channel_credits) / the sum of
      the credits of the channels on the path, shared equally among the path's touches of
      that channel.

    Incremental by deal (groups_to_rebuild): a deal's weights depend only on its own
    touches, the channel credits and the settings, so a daily run rebuilds only the deals
    whose touches changed, and every deal when the credits are learned again
    (macros/learned_parameters.sql) or a setting changes. -#}
{%- set half_life = var('attribution_half_life_days') | float %}
with credits as (
    select * from {{ ref('int_attribution_channel_credits') }}
),

-- A deal's touches are built from what their fingerprint says.
touch_fingerprints as (
    select
        deal_key,
        any_value(_inputs_fingerprint) as fingerprint
    from {{ ref('int_attribution_touches') }}
    group by deal_key
),

credits_fingerprint as (
    select {{ order_free_hash(['conversion', 'model', 'channel', 'credit']) }} as fingerprint
    from credits
),

inputs as (
    select
        touch_fingerprints.deal_key,
        {{ row_hash([
            'touch_fingerprints.fingerprint', 'credits_fingerprint.fingerprint',
            "'" ~ tojson(attribution_position_shares()) ~ "'", "'" ~ half_life ~ "'",
        ]) }} as inputs_fingerprint
    from touch_fingerprints
    cross join credits_fingerprint
),

{{ groups_to_rebuild('inputs', 'deal_key') }},

touches as (
    select * from {{ ref('int_attribution_touches') }}
    {%- if is_incremental() %}
        where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
),

-- Each touch's share of every position-based model's key points, then per path the touches
-- holding none (the middle) and the sum of raw weights: one column per model, so each
-- window runs once over the touches rather than once per model and touch.
position_keys as (
    select
        {%- for model, shares in attribution_position_shares().items() %}
            case when holds_first_interaction then {{ shares.get('first_interaction', 0) }} else 0 end
            + case when holds_lead_creation then {{ shares.get('lead_creation', 0) }} else 0 end
            + case when holds_deal_creation then {{ shares.get('deal_creation', 0) }} else 0 end
            + case when holds_closed_won then {{ shares.get('closed_won', 0) }} else 0 end
                as {{ model }}_key_share,
        {%- endfor %}
        *
    from touches
),

position_counted as (
    select
        {%- for model in attribution_position_shares() %}
            sum(case when {{ model }}_key_share = 0 then 1 else 0 end) over path
                as {{ model }}_middle_touches,
        {%- endfor %}
        *
    from position_keys
    window path as (partition by deal_key, conversion)
),

position_raw as (
    select
        {%- for model, shares in attribution_position_shares().items() %}
            {{ model }}_key_share + case
                when {{ model }}_key_share = 0
                    then {{ shares.get('middle', 0) }} / {{ model }}_middle_touches
                else 0
            end as {{ model }}_raw_weight,
        {%- endfor %}
        *
    from position_counted
),

position_totals as (
    select
        {%- for model in attribution_position_shares() %}
            sum({{ model }}_raw_weight) over path as {{ model }}_raw_total,
        {%- endfor %}
        *
    from position_raw
    window path as (partition by deal_key, conversion)
),

-- One row per touch and position-based model: the weight, and the rule in words (only
-- the key points the model gives a share name themselves).
{%- set fallbacks = {
    'lead_creation': ' (no touch before the lead: the deal-creation point)',
    'deal_creation': ' (no touch before the deal: the first touch)',
} %}
position_weights as (
    {%- for model, shares in attribution_position_shares().items() %}
        {%- set middle = shares.get('middle', 0) %}
        {%- set key_rules = [] %}
        {%- for point in ['first_interaction', 'lead_creation', 'deal_creation', 'closed_won'] %}
            {%- if shares.get(point, 0) > 0 %}
                {%- set phrase = "'" ~ point | replace('_', ' ') ~ ' ' ~ percent(shares[point]) ~ "'" %}
                {%- if point in fallbacks %}
                    {%- set phrase = phrase ~ " || case when is_" ~ point ~ "_fallback then '"
                        ~ fallbacks[point] ~ "' else '' end" %}
                {%- endif %}
                {%- do key_rules.append('case when holds_' ~ point ~ ' then ' ~ phrase ~ ' end') %}
            {%- endif %}
        {%- endfor %}
        {%- set key_rule = "concat_ws(' + ', " ~ key_rules | join(', ') ~ ")" %}
        {%- if middle > 0 %}
            {%- set key_rule = key_rule ~ " || case when " ~ model ~ "_middle_touches = 0"
                ~ " then ' (no middle touch: key shares scaled up in proportion)' else '' end" %}
        {%- endif %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select
            deal_key,
            conversion,
            touch_key,
            '{{ model }}' as model,
            round({{ model }}_raw_weight / {{ model }}_raw_total, 10) as weight,
            case
                when {{ model }}_key_share > 0
                    then {{ key_rule }}
                {%- if middle > 0 %}
                    else 'middle {{ percent(middle) }} / ' || {{ touches_phrase(model ~ '_middle_touches') }}
                {%- else %}
                    else 'holds none of the model''s key points: 0'
                {%- endif %}
            end as rule
        from position_totals
    {%- endfor %}
),

linear_weights as (
    select
        deal_key,
        conversion,
        touch_key,
        'linear' as model,
        round(1.0 / path_touches, 10) as weight,
        '1 / ' || {{ touches_phrase('path_touches') }} as rule
    from touches
),

-- Decay counted from the path's latest touch: the same weights once normalised, and no
-- underflow to zero for touches years before the conversion.
decay_raw as (
    select
        *,
        power(
            2.0,
            -1.0 * (days_before_conversion - min(days_before_conversion) over (
                partition by deal_key, conversion
            )) / {{ half_life }}
        ) as raw_weight
    from touches
),

time_decay_weights as (
    select
        deal_key,
        conversion,
        touch_key,
        'time_decay' as model,
        round(raw_weight / sum(raw_weight) over (partition by deal_key, conversion), 10) as weight,
        '2^(-' || cast(round(days_before_conversion, 2) as {{ dbt.type_string() }})
        || ' days / {{ "%g" | format(half_life) }}), normalised over '
        || {{ touches_phrase('path_touches') }} as rule
    from decay_raw
),

path_channels as (
    select
        deal_key,
        conversion,
        channel,
        count(*) as channel_touches
    from touches
    group by deal_key, conversion, channel
),

path_credits as (
    select
        path_channels.*,
        credits.model,
        credits.credit,
        sum(credits.credit) over (
            partition by path_channels.deal_key, path_channels.conversion, credits.model
        ) as path_credit
    from path_channels
    inner join credits
        on path_channels.conversion = credits.conversion and path_channels.channel = credits.channel
),

data_driven_weights as (
    select
        touches.deal_key,
        touches.conversion,
        touches.touch_key,
        path_credits.model,
        round(path_credits.credit / path_credits.path_credit / path_credits.channel_touches, 10)
            as weight,
        touches.channel || ' credit ' || cast(round(path_credits.credit, 4) as {{ dbt.type_string() }})
        || ' / path credits ' || cast(round(path_credits.path_credit, 4) as {{ dbt.type_string() }})
        || ' / ' || {{ touches_phrase('path_credits.channel_touches') }} as rule
    from touches
    inner join path_credits
        on
            touches.deal_key = path_credits.deal_key
            and touches.conversion = path_credits.conversion
            and touches.channel = path_credits.channel
),

weights as (
    select * from position_weights
    union all
    select * from linear_weights
    union all
    select * from time_decay_weights
    union all
    select * from data_driven_weights
)

select
    groups_to_rebuild.deal_key,
    weights.conversion,
    weights.touch_key,
    weights.model,
    weights.weight,
    weights.rule,
    groups_to_rebuild.inputs_fingerprint as _inputs_fingerprint,
    {{ built_at() }} as _built_at
from groups_to_rebuild
left join weights on groups_to_rebuild.deal_key = weights.deal_key
