{#- Closed deals per month of close x pipeline x owner at close x team x first-touch
    channel: won and lost by count and by value (amount at close, reporting currency).
    Open deals are excluded; deals are credited to the owner at close and the team that
    owner was in at the close (deals.team_at_close). The counts and
    amounts add up across any grain; re-derive rates from them, never average rates. -#}
with closed as (
    select
        *,
        {{ reporting_month('closed_at') }} as close_month
    from {{ ref('deals') }}
    where is_closed and not is_excluded_from_metrics
),

months as (
    select * from {{ ref('calendar_days') }}
    where date_day = month_start_date
),

grouped as (
    select
        closed.close_month,
        closed.pipeline_id,
        closed.owner_at_close_key,
        closed.team_at_close,
        closed.first_touch_channel,
        count(case when closed.is_won then 1 end) as won_deals,
        count(case when not closed.is_won then 1 end) as lost_deals,
        sum(case when closed.is_won then closed.amount_at_close_reporting else 0 end)
            as won_amount_reporting,
        sum(case when closed.is_won then 0 else closed.amount_at_close_reporting end)
            as lost_amount_reporting
    from closed
    group by 1, 2, 3, 4, 5
)

select
    grouped.close_month,
    months.calendar_year,
    months.calendar_quarter,
    months.fiscal_year,
    months.fiscal_quarter,
    grouped.pipeline_id,
    grouped.owner_at_close_key,
    grouped.team_at_close,
    grouped.first_touch_channel,
    grouped.won_deals,
    grouped.lost_deals,
    grouped.won_deals * 1.0 / (grouped.won_deals + grouped.lost_deals) as win_rate_by_count,
    grouped.won_amount_reporting,
    grouped.lost_amount_reporting,
    grouped.won_amount_reporting
    / nullif(grouped.won_amount_reporting + grouped.lost_amount_reporting, 0)
        as win_rate_by_value
from grouped
inner join months on grouped.close_month = months.date_day
