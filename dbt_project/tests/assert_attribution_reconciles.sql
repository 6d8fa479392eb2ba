{#- Attribution splits, never creates or loses: per deal, conversion and model the weights
    add up to 1 (the no-touch bucket included), and every live deal has both its pipeline
    and, once won, its revenue conversion in attribution_credits. Rows returned fail.
    Credits are summed per deal and conversion with one column per model, then compared
    model by model: a ninth of the groups of summing per deal, conversion and model, which
    at a million deals no longer fit in memory. -#}
{%- set models = attribution_models() %}
with credits as (
    select
        {%- for model in models %}
            sum(case when model = '{{ model }}' then weight end) as {{ model }}_weights,
            count(case when model = '{{ model }}' then 1 end) as {{ model }}_rows,
        {%- endfor %}
        deal_key,
        conversion
    from {{ ref('attribution_credits') }}
    group by deal_key, conversion
),

compared as (
    select
        {%- for model in models %}
            credits.{{ model }}_weights,
            coalesce(credits.{{ model }}_rows, 0) as {{ model }}_rows,
        {%- endfor %}
        coalesce(conversions.deal_key, credits.deal_key) as deal_key,
        coalesce(conversions.conversion, credits.conversion) as conversion,
        conversions.deal_key is null as is_unexpected
    from {{ ref('int_attribution_conversions') }} as conversions
    full outer join credits
        on
            conversions.deal_key = credits.deal_key
            and conversions.conversion = credits.conversion
)

{%- for model in models %}
    select
        deal_key,
        conversion,
        '{{ model }}' as model,
        {{ model }}_weights as weights
    from compared
    where
        case
            when is_unexpected then {{ model }}_rows > 0
            else {{ model }}_weights is null or abs({{ model }}_weights - 1) > 1e-8
        end
    union all
{%- endfor %}

-- Credits under a model no one defined are never expected.
select
    deal_key,
    conversion,
    model,
    sum(weight) as weights
from {{ ref('attribution_credits') }}
where
    model not in (
        {%- for model in models %}
            '{{ model }}'{{ "," if not loop.last }}
        {%- endfor %}
    )
group by deal_key, conversion, model
