{#- Spend against what it brought, per month (reporting time zone) x channel x campaign x
    attribution model: ad spend (reporting currency), new leads, cost per lead, attributed
    opportunities (deals created, by weight) and cost per opportunity, attributed won deals
    and customer acquisition cost (spend / won deals), attributed revenue and return on ad
    spend (revenue / spend). Leads count in every model alike: the people who became a
    contact or lead in the month, by the channel and campaign of their first touch.
    A touch's campaign (a UTM value) is the ad campaign of its channel whose id or name it
    is, or whose name it is in lower snake case, optionally with a numeric suffix
    ("paid_search_brand_2024_01_0" is "Paid Search - Brand - 2024-01"); others keep their
    own value, and spend without an attributed touch still shows. -#}
with spend as (
    select * from {{ ref('int_ad_spend_daily') }}
),

models as (
    {{ attribution_model_rows() }}
),

people as (
    select
        contact_key as person_key,
        created_at
    from {{ ref('int_contacts') }}
    where not is_deleted and merged_into_contact_key is null
),

first_touches as (
    select
        person_key,
        channel,
        campaign
    from (
        select
            person_key,
            channel,
            campaign,
            row_number() over (partition by person_key order by occurred_at, touch_key) as touch_rank
        from {{ ref('int_marketing_touches') }}
    ) as ranked
    where touch_rank = 1
),

-- Leads and credits are summed per month x channel x campaign (x model) before they meet
-- the models and campaign names: millions of rows become thousands.
leads as (
    select
        {{ reporting_month('people.created_at') }} as month,
        coalesce(first_touches.channel, 'no_touch') as channel,
        first_touches.campaign,
        count(*) as leads
    from people
    left join first_touches on people.person_key = first_touches.person_key
    where people.created_at < {{ as_of_timestamp() }}
    group by 1, 2, 3
),

credits as (
    select
        {{ reporting_month('converted_at') }} as month,
        channel,
        campaign,
        model,
        sum(case when conversion = 'pipeline' then weight else 0 end) as opportunities,
        sum(case when conversion = 'revenue' then weight else 0 end) as won_deals,
        sum(coalesce(attributed_revenue, 0)) as revenue
    from {{ ref('attribution_credits') }}
    group by 1, 2, 3, 4
),

touch_campaigns as (
    select
        channel,
        campaign
    from credits
    where campaign is not null
    union
    select
        channel,
        campaign
    from leads
    where campaign is not null
),

ad_campaigns as (
    select distinct
        channel,
        campaign_id,
        campaign_name,
        regexp_replace(lower(campaign_name), '[^a-z0-9]+', '_', 'g') as campaign_slug
    from spend
),

campaign_names as (
    select
        touch_campaigns.channel,
        touch_campaigns.campaign,
        min(ad_campaigns.campaign_name) as campaign_name
    from touch_campaigns
    inner join ad_campaigns
        on
            touch_campaigns.channel = ad_campaigns.channel
            and (
                touch_campaigns.campaign in (ad_campaigns.campaign_id, ad_campaigns.campaign_name)
                or touch_campaigns.campaign similar to ad_campaigns.campaign_slug || '(_[0-9]+)?'
            )
    group by touch_campaigns.channel, touch_campaigns.campaign
),

facts as (
    select
        cast({{ dbt.date_trunc('month', 'spend.spend_date') }} as date) as month,
        spend.channel,
        spend.campaign_name as campaign,
        models.model,
        spend.cost_reporting as spend,
        0 as leads,
        0.0 as opportunities,
        0.0 as won_deals,
        0.0 as revenue
    from spend
    cross join models
    union all
    select
        leads.month,
        leads.channel,
        coalesce(campaign_names.campaign_name, leads.campaign) as campaign,
        models.model,
        0.0 as spend,
        leads.leads,
        0.0 as opportunities,
        0.0 as won_deals,
        0.0 as revenue
    from leads
    cross join models
    left join campaign_names
        on leads.channel = campaign_names.channel and leads.campaign = campaign_names.campaign
    union all
    select
        credits.month,
        credits.channel,
        coalesce(campaign_names.campaign_name, credits.campaign) as campaign,
        credits.model,
        0.0 as spend,
        0 as leads,
        credits.opportunities,
        credits.won_deals,
        credits.revenue
    from credits
    left join campaign_names
        on credits.channel = campaign_names.channel and credits.campaign = campaign_names.campaign
),

totals as (
    select
        month,
        channel,
        campaign,
        model,
        sum(spend) as spend,
        cast(sum(leads) as {{ dbt.type_bigint() }}) as leads,
        sum(opportunities) as attributed_opportunities,
        sum(won_deals) as attributed_won_deals,
        sum(revenue) as attributed_revenue
    from facts
    group by month, channel, campaign, model
)

select
    month,
    channel,
    campaign,
    model,
    spend,
    leads,
    spend / nullif(leads, 0) as cost_per_lead,
    attributed_opportunities,
    spend / nullif(attributed_opportunities, 0) as cost_per_opportunity,
    attributed_won_deals,
    spend / nullif(attributed_won_deals, 0) as acquisition_cost,
    attributed_revenue,
    attributed_revenue / nullif(spend, 0) as return_on_ad_spend
from totals
