{#- Ad spend of every platform, one row per campaign and day, in the account's currency and
    in the reporting currency at that day's rate. Only what the platforms reported: a day
    they did not report is missing here and listed by int_ad_spend_gaps. -#}
with campaign_days as (
    select * from {{ ref('stg_google_ads__campaign_days') }}
    union all
    select * from {{ ref('stg_meta_ads__campaign_days') }}
),

channels as (
    select
        source_value as platform,
        channel
    from {{ ref('channel_mapping') }}
    where source_system = 'ad_platform' and source_field = 'platform'
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
)

select
    campaign_days.campaign_key,
    campaign_days.platform,
    campaign_days.account_id,
    campaign_days.campaign_id,
    campaign_days.campaign_name,
    coalesce(channels.channel, 'other') as channel,
    campaign_days.spend_date,
    campaign_days.campaign_start_date,
    campaign_days.campaign_end_date,
    campaign_days.currency_code,
    campaign_days.cost,
    campaign_days.cost * fx.rate_to_reporting as cost_reporting,
    campaign_days.clicks,
    campaign_days.impressions
from campaign_days
left join channels on campaign_days.platform = channels.platform
left join fx
    on
        campaign_days.currency_code = fx.currency_code
        and campaign_days.spend_date = fx.rate_date
