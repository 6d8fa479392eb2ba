{#- Sales velocity per month x pipeline: (open opportunities at the month's end x average
    won deal size x win rate by count) / average sales cycle in days = expected revenue
    per day. Won size and cycle use deals won in the month; win rate deals closed in it. -#}
with closed as (
    select
        *,
        {{ reporting_month('closed_at') }} as close_month
    from {{ ref('deals') }}
    where is_closed and not is_excluded_from_metrics
),

closed_by_month as (
    select
        close_month,
        pipeline_id,
        count(case when is_won then 1 end) as won_deals,
        count(*) as closed_deals,
        avg(case when is_won then amount_at_close_reporting end) as average_won_amount_reporting,
        avg(case when is_won then cycle_days end) as average_cycle_days
    from closed
    group by close_month, pipeline_id
),

month_ends as (
    select
        month_start_date,
        {{ reporting_day_end_utc('max(date_day)') }} as month_end_utc
    from {{ ref('calendar_days') }}
    where date_day <= {{ as_of_date() }}
    group by month_start_date
),

-- Open deals as they stood at each month's end (as deal_daily_snapshots has them), read
-- from the states themselves: through the view, every day of every month would be built
-- before the month ends were picked.
open_at_month_end as (
    select
        month_ends.month_start_date as close_month,
        states.pipeline_id,
        count(*) as open_opportunities
    from month_ends
    inner join {{ ref('deal_state_history') }} as states
        on {{ state_held_until('states', 'month_ends.month_end_utc') }}
    where not states.is_closed and not states.is_excluded_from_metrics
    group by month_ends.month_start_date, states.pipeline_id
)

select
    closed_by_month.close_month as period_month,
    closed_by_month.pipeline_id,
    coalesce(open_at_month_end.open_opportunities, 0) as open_opportunities,
    closed_by_month.won_deals,
    closed_by_month.closed_deals,
    closed_by_month.won_deals * 1.0 / closed_by_month.closed_deals as win_rate_by_count,
    closed_by_month.average_won_amount_reporting,
    closed_by_month.average_cycle_days,
    coalesce(open_at_month_end.open_opportunities, 0)
    * closed_by_month.average_won_amount_reporting
    * closed_by_month.won_deals / closed_by_month.closed_deals
    / nullif(closed_by_month.average_cycle_days, 0) as velocity_reporting_per_day
from closed_by_month
left join open_at_month_end
    on
        closed_by_month.close_month = open_at_month_end.close_month
        and closed_by_month.pipeline_id = open_at_month_end.pipeline_id
