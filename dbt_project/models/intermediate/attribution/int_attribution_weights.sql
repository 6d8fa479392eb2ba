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
      that channel. -#}
{%- set half_life = var('attribution_half_life_days') | float %}
with touches as (
    select * from {{ ref('int_attribution_touches') }}
),

-- Every touch once per position-based model, with the model's shares and their labels.
position_shares as (
    {%- for model, shares in attribution_position_shares().items() %}
        select
            *,
            '{{ model }}' as model,
            {{ shares.get('first_interaction', 0) }} as first_interaction_share,
            '{{ percent(shares.get('first_interaction', 0)) }}' as first_interaction_label,
            {{ shares.get('lead_creation', 0) }} as lead_creation_share,
            '{{ percent(shares.get('lead_creation', 0)) }}' as lead_creation_label,
            {{ shares.get('deal_creation', 0) }} as deal_creation_share,
            '{{ percent(shares.get('deal_creation', 0)) }}' as deal_creation_label,
            {{ shares.get('closed_won', 0) }} as closed_won_share,
            '{{ percent(shares.get('closed_won', 0)) }}' as closed_won_label,
            {{ shares.get('middle', 0) }} as middle_share,
            '{{ percent(shares.get('middle', 0)) }}' as middle_label
        from touches
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

position_keys as (
    select
        deal_key,
        conversion,
        touch_key,
        model,
        middle_share,
        middle_label,
        case when holds_first_interaction then first_interaction_share else 0 end
        + case when holds_lead_creation then lead_creation_share else 0 end
        + case when holds_deal_creation then deal_creation_share else 0 end
        + case when holds_closed_won then closed_won_share else 0 end as key_share,
        concat_ws(
            ' + ',
            case
                when holds_first_interaction and first_interaction_share > 0
                    then 'first interaction ' || first_interaction_label
            end,
            case
                when holds_lead_creation and lead_creation_share > 0
                    then
                        'lead creation ' || lead_creation_label
                        || case
                            when is_lead_creation_fallback
                                then ' (no touch before the lead: the deal-creation point)'
                            else ''
                        end
            end,
            case
                when holds_deal_creation and deal_creation_share > 0
                    then
                        'deal creation ' || deal_creation_label
                        || case
                            when is_deal_creation_fallback
                                then ' (no touch before the deal: the first touch)'
                            else ''
                        end
            end,
            case
                when holds_closed_won and closed_won_share > 0
                    then 'closed won ' || closed_won_label
            end
        ) as key_rule
    from position_shares
),

position_counted as (
    select
        *,
        sum(case when key_share = 0 then 1 else 0 end)
            over (partition by deal_key, conversion, model)
            as middle_touches
    from position_keys
),

position_raw as (
    select
        *,
        key_share
        + case when key_share = 0 then middle_share / middle_touches else 0 end as raw_weight
    from position_counted
),

position_weights as (
    select
        deal_key,
        conversion,
        touch_key,
        model,
        round(raw_weight / sum(raw_weight) over (partition by deal_key, conversion, model), 10)
            as weight,
        case
            when key_share > 0 then key_rule
            when middle_share > 0
                then
                    'middle ' || middle_label || ' / '
                    || {{ touches_phrase('middle_touches') }}
            else 'holds none of the model''s key points: 0'
        end
        || case
            when middle_touches = 0 and middle_share > 0
                then ' (no middle touch: key shares scaled up in proportion)'
            else ''
        end as rule
    from position_raw
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
    inner join {{ ref('int_attribution_channel_credits') }} as credits
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
)

select * from position_weights
union all
select * from linear_weights
union all
select * from time_decay_weights
union all
select * from data_driven_weights
