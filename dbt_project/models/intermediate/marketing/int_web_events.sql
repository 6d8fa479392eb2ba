{#- Every website event with the traffic filter it matches (web_traffic_filters: bots by
    user agent, staff by address or host), if any. Filtered events stay here, flagged, and
    are left out of sessions; the visitor id is the cookie, or the user id without one. -#}
with events as (
    select * from {{ ref('stg_web_events__events') }}
),

filters as (
    select * from {{ ref('web_traffic_filters') }}
),

-- Filters are matched against each distinct value of a field, not each event: a few
-- thousand user agents and addresses instead of millions of events.
field_values as (
    select distinct
        'user_agent' as event_field,
        lower(user_agent) as field_value
    from events
    union all
    select distinct
        'ip' as event_field,
        ip as field_value
    from events
    union all
    select distinct
        'page_host' as event_field,
        page_host as field_value
    from events
    union all
    select distinct
        'referrer_host' as event_field,
        referrer_host as field_value
    from events
),

value_matches as (
    select
        field_values.event_field,
        field_values.field_value,
        min(filters.filter_name) as filter_name
    from field_values
    inner join filters
        on
            field_values.event_field = filters.event_field
            and field_values.field_value like (
                case filters.match_type
                    when 'contains' then '%' || lower(filters.pattern) || '%'
                    when 'prefix' then lower(filters.pattern) || '%'
                    else lower(filters.pattern)
                end
            )
    group by field_values.event_field, field_values.field_value
),

matched as (
    select
        events.*,
        coalesce(
            least(agents.filter_name, ips.filter_name, pages.filter_name, referrers.filter_name),
            agents.filter_name,
            ips.filter_name,
            pages.filter_name,
            referrers.filter_name
        ) as filter_name
    from events
    left join value_matches as agents
        on agents.event_field = 'user_agent' and lower(events.user_agent) = agents.field_value
    left join value_matches as ips
        on ips.event_field = 'ip' and events.ip = ips.field_value
    left join value_matches as pages
        on pages.event_field = 'page_host' and events.page_host = pages.field_value
    left join value_matches as referrers
        on referrers.event_field = 'referrer_host' and events.referrer_host = referrers.field_value
)

select
    matched.event_id,
    matched.site,
    coalesce(matched.anonymous_id, 'user:' || matched.user_id) as visitor_id,
    matched.anonymous_id,
    matched.user_id,
    matched.email,
    matched.event_type,
    matched.event_name,
    matched.occurred_at,
    matched.page_url,
    matched.page_host,
    matched.referrer,
    matched.referrer_host,
    matched.utm_source,
    matched.utm_medium,
    matched.utm_campaign,
    matched.utm_term,
    matched.utm_content,
    matched.filter_name as traffic_filter,
    coalesce(filters.traffic_type, 'visitor') as traffic_type,
    matched.filter_name is not null as is_filtered
from matched
left join filters on matched.filter_name = filters.filter_name
