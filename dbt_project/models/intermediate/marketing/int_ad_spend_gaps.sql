{#- Days a campaign should have reported spend but did not: a platform that lost a day, or
    a sync that missed it. A campaign should report every day from its own start date to
    its end date (the platform's campaign object), within the calendar and up to the as-of
    date; a campaign whose dates were not landed falls back to its first and last reported
    day, so only holes between them show. Reported, never filled in: a campaign paused for
    a day, or one that spent nothing (platforms leave such days out), shows up here too, and
    the row says which campaign and day to check. -#}
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
        max(spend_date) as last_reported_date,
        min(campaign_start_date) as campaign_start_date,
        max(campaign_end_date) as campaign_end_date
    from campaign_days
    group by campaign_key, platform, account_id, campaign_id
),

expected as (
    select
        *,
        greatest(
            coalesce(campaign_start_date, first_reported_date),
            cast('{{ var("calendar_start_date") }}' as date)
        ) as expected_from_date,
        least(
            coalesce(campaign_end_date, last_reported_date),
            {{ as_of_date() }},
            cast('{{ var("calendar_end_date") }}' as date)
        ) as expected_to_date
    from spans
),

days as (
    select spine.date_day
    from ({{ date_spine(var('calendar_start_date'), var('calendar_end_date')) }}) as spine
)

select
    expected.campaign_key,
    expected.platform,
    expected.account_id,
    expected.campaign_id,
    expected.campaign_name,
    days.date_day as missing_date,
    expected.first_reported_date,
    expected.last_reported_date,
    expected.campaign_start_date,
    expected.campaign_end_date
from expected
inner join days
    on
        days.date_day >= expected.expected_from_date
        and days.date_day <= expected.expected_to_date
left join campaign_days
    on
        expected.campaign_key = campaign_days.campaign_key
        and days.date_day = campaign_days.spend_date
where campaign_days.campaign_key is null
