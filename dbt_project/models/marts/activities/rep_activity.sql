{#- Per owner x week (Monday, reporting time zone): the completed activities the owner
    logged, by type, and the deals they touched (every activity counts, whatever its deal
    became); the deals assigned to them at creation that week and how many hours passed
    until their first completed activity on each; the deals they won that week and the
    completed activities those deals took up to the win. -#}
with activities as (
    select
        activities.*,
        days.week_start_date
    from {{ ref('int_activities') }} as activities
    inner join {{ ref('calendar_days') }} as days
        on {{ reporting_date('activities.occurred_at') }} = days.date_day
    where
        activities.is_completed
        and activities.occurred_at < {{ as_of_timestamp() }}
        and activities.owner_key is not null
),

timeline as (
    select * from {{ ref('deal_activity_timeline') }}
    where is_completed
),

deals as (
    select
        deals.*,
        days.week_start_date as created_week
    from {{ ref('deals') }} as deals
    inner join {{ ref('calendar_days') }} as days
        on {{ reporting_date('deals.created_at') }} = days.date_day
    where not deals.is_excluded_from_metrics
),

weekly_activities as (
    select
        owner_key,
        week_start_date,
        count(*) as activities,
        count(case when activity_type = 'call' then 1 end) as calls,
        count(case when activity_type = 'email' then 1 end) as emails,
        count(case when activity_type = 'meeting' then 1 end) as meetings,
        count(case when activity_type = 'note' then 1 end) as notes,
        count(case when activity_type = 'task' then 1 end) as tasks,
        count(distinct deal_key) as deals_touched
    from activities
    group by owner_key, week_start_date
),

-- Each new deal with the owner it was created with, and that owner's first completed
-- activity on it at or after creation.
responses as (
    select
        states.owner_key,
        deals.created_week as week_start_date,
        deals.deal_key,
        deals.created_at,
        min(timeline.occurred_at) as first_activity_at
    from deals
    inner join {{ ref('deal_state_history') }} as states
        on deals.deal_key = states.deal_key and states.state_number = 1
    left join timeline
        on
            deals.deal_key = timeline.deal_key
            and states.owner_key = timeline.owner_key
            and timeline.occurred_at >= deals.created_at
    where states.owner_key is not null
    group by states.owner_key, deals.created_week, deals.deal_key, deals.created_at
),

weekly_responses as (
    select
        owner_key,
        week_start_date,
        count(*) as new_deals,
        count(first_activity_at) as responded_new_deals,
        avg({{ days_between('created_at', 'first_activity_at') }} * 24) as avg_response_hours,
        {{ percentile(days_between('created_at', 'first_activity_at') ~ ' * 24', 0.5) }}
            as median_response_hours
    from responses
    group by owner_key, week_start_date
),

-- Won deals credit the owner at close (metrics.md), in the week of the win.
weekly_wins as (
    select
        deals.owner_at_close_key as owner_key,
        days.week_start_date,
        count(distinct deals.deal_key) as won_deals,
        count(timeline.activity_key) as activities_on_won_deals
    from deals
    inner join {{ ref('calendar_days') }} as days
        on {{ reporting_date('deals.closed_at') }} = days.date_day
    left join timeline
        on
            deals.deal_key = timeline.deal_key
            and timeline.occurred_at <= deals.closed_at
    where deals.is_won
    group by deals.owner_at_close_key, days.week_start_date
),

owner_weeks as (
    select
        owner_key,
        week_start_date
    from weekly_activities
    union
    select
        owner_key,
        week_start_date
    from weekly_responses
    union
    select
        owner_key,
        week_start_date
    from weekly_wins
)

select
    owner_weeks.owner_key,
    owners.owner_name,
    owners.team_name,
    owner_weeks.week_start_date,
    coalesce(weekly_activities.activities, 0) as activities,
    coalesce(weekly_activities.calls, 0) as calls,
    coalesce(weekly_activities.emails, 0) as emails,
    coalesce(weekly_activities.meetings, 0) as meetings,
    coalesce(weekly_activities.notes, 0) as notes,
    coalesce(weekly_activities.tasks, 0) as tasks,
    coalesce(weekly_activities.deals_touched, 0) as deals_touched,
    coalesce(weekly_responses.new_deals, 0) as new_deals,
    coalesce(weekly_responses.responded_new_deals, 0) as responded_new_deals,
    weekly_responses.avg_response_hours,
    weekly_responses.median_response_hours,
    coalesce(weekly_wins.won_deals, 0) as won_deals,
    coalesce(weekly_wins.activities_on_won_deals, 0) as activities_on_won_deals,
    weekly_wins.activities_on_won_deals * 1.0 / weekly_wins.won_deals as activities_per_won_deal
from owner_weeks
left join weekly_activities
    on
        owner_weeks.owner_key = weekly_activities.owner_key
        and owner_weeks.week_start_date = weekly_activities.week_start_date
left join weekly_responses
    on
        owner_weeks.owner_key = weekly_responses.owner_key
        and owner_weeks.week_start_date = weekly_responses.week_start_date
left join weekly_wins
    on
        owner_weeks.owner_key = weekly_wins.owner_key
        and owner_weeks.week_start_date = weekly_wins.week_start_date
left join {{ ref('int_owners') }} as owners on owner_weeks.owner_key = owners.owner_key
