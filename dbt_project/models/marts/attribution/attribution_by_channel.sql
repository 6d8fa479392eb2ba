{#- Attributed deals, pipeline and revenue per month (reporting time zone) x channel x source
    x campaign x model: pipeline in the month deals were created, revenue in the month they
    were won. Deals are counted by weight, so a deal split over three channels counts a
    third in each; "no_touch" holds the deals without touches. -#}
select
    {{ reporting_month('converted_at') }} as month,
    channel,
    source_value,
    campaign,
    model,
    sum(case when conversion = 'pipeline' then weight else 0 end) as attributed_deals,
    coalesce(sum(attributed_pipeline), 0) as attributed_pipeline,
    sum(case when conversion = 'revenue' then weight else 0 end) as attributed_won_deals,
    coalesce(sum(attributed_revenue), 0) as attributed_revenue
from {{ ref('attribution_credits') }}
group by 1, channel, source_value, campaign, model
