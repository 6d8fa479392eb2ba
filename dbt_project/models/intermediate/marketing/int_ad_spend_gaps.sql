{#- Days a campaign reported no spend between its first and last reported day: a platform
    that lost a day, or a sync that missed it. Reported, never filled in: a campaign really
    paused for a day shows up here too, and the row says which campaign and day to check. -#}
with campaign_days as (
    select * from {{ ref('int_ad_spend_daily') }}
),

spans as (
    select
        campaign_key,
        platform,
        account_id,
        campaign_id,
        max(campaign_name) as campaign_name,
        min(spend_date) as first_reported_date,
        max(spend_date) as last_reported_date
    from campaign_days
    group by campaign_key, platform, account_id, campaign_id
),

days as (
    select spine.date_day
    from ({{ date_spine(var('calendar_start_date'), var('calendar_end_date')) }}) as spine
)

select
    spans.campaign_key,
    spans.platform,
    spans.account_id,
    spans.campaign_id,
    spans.campaign_name,
    days.date_day as missing_date,
    spans.first_reported_date,
    spans.last_reported_date
from spans
inner join days
    on days.date_day > spans.first_reported_date and days.date_day < spans.last_reported_date
left join campaign_days
    on
        spans.campaign_key = campaign_days.campaign_key
        and days.date_day = campaign_days.spend_date
where campaign_days.campaign_key is null
