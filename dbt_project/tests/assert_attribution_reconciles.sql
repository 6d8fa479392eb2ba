{#- Attribution splits, never creates or loses: per deal, conversion and model the weights
    add up to 1 (the no-touch bucket included), and every live deal has both its pipeline
    and, once won, its revenue conversion in attribution_credits. Rows returned fail. -#}
with credits as (
    select
        deal_key,
        conversion,
        model,
        sum(weight) as weights
    from {{ ref('attribution_credits') }}
    group by deal_key, conversion, model
),

expected as (
    select
        conversions.deal_key,
        conversions.conversion,
        models.model
    from {{ ref('int_attribution_conversions') }} as conversions
    cross join ({{ attribution_model_rows() }}) as models
)

select
    coalesce(expected.deal_key, credits.deal_key) as deal_key,
    coalesce(expected.conversion, credits.conversion) as conversion,
    coalesce(expected.model, credits.model) as model,
    credits.weights
from expected
full outer join credits
    on
        expected.deal_key = credits.deal_key
        and expected.conversion = credits.conversion
        and expected.model = credits.model
where credits.weights is null or expected.deal_key is null or abs(credits.weights - 1) > 1e-8
