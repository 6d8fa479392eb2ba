{#- Website sessions: a visitor's events (bots and staff filtered out) split wherever
    more than var('web_session_timeout_minutes') pass without one. Each session gets a
    channel from its landing event, by the channel_mapping rules of source system 'web':
    - with UTM parameters: utm_medium (a rule naming the utm_source beats the generic one);
      a medium no rule knows lands in 'other';
    - else an external referrer: its host ('www.', 'm.', 'l.' dropped); a host no rule knows
      is 'referral', as in the common default channel grouping;
    - else 'direct'.
    The original values stay beside the channel (source_value, utm_*, referrer_host). -#}
with events as (
    select * from {{ ref('int_web_events') }}
    where not is_filtered
),

gaps as (
    select
        *,
        lag(occurred_at) over (
            partition by visitor_id order by occurred_at, event_id
        ) as previous_at
    from events
),

starts as (
    select
        *,
        case
            when previous_at is null then 1
            when
                {{ dbt.datediff('previous_at', 'occurred_at', 'second') }}
                > {{ var('web_session_timeout_minutes') }} * 60
                then 1
            else 0
        end as is_session_start
    from gaps
),

numbered as (
    select
        *,
        sum(is_session_start) over (
            partition by visitor_id order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from starts
),

sessions as (
    select
        visitor_id,
        session_number,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as n_events
    from numbered
    group by visitor_id, session_number
),

landings as (
    select
        visitor_id,
        session_number,
        event_id as landing_event_id,
        site,
        page_url as landing_page_url,
        page_host,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        referrer,
        case
            when referrer_host is not null and referrer_host <> page_host
                then regexp_replace(referrer_host, '^(www|m|l|lm)\.', '')
        end as referrer_host,
        utm_source is not null or utm_medium is not null or utm_campaign is not null as has_utm
    from numbered
    where is_session_start = 1
),

rules as (
    select * from {{ ref('channel_mapping') }}
    where source_system = 'web'
),

utm_matches as (
    {{ utm_channel_matches('landings', ['visitor_id', 'session_number']) }}
),

referrer_matches as (
    select
        landings.visitor_id,
        landings.session_number,
        rules.channel
    from landings
    inner join rules
        on rules.source_field = 'referrer_host' and landings.referrer_host = rules.source_value
    where not landings.has_utm
)

select
    {{ dbt.concat([
        'sessions.visitor_id', "':'",
        'cast(sessions.session_number as ' ~ dbt.type_string() ~ ')'
    ]) }}
        as session_key,
    sessions.visitor_id,
    sessions.session_number,
    sessions.started_at,
    sessions.ended_at,
    sessions.n_events,
    landings.landing_event_id,
    landings.site,
    landings.landing_page_url,
    case
        when landings.has_utm then coalesce(utm_matches.channel, 'other')
        when landings.referrer_host is not null then coalesce(referrer_matches.channel, 'referral')
        else 'direct'
    end as channel,
    case
        when landings.has_utm
            then {{ utm_source_value('landings.utm_source', 'landings.utm_medium') }}
        else landings.referrer_host
    end as source_value,
    landings.utm_source,
    landings.utm_medium,
    landings.utm_campaign,
    landings.utm_term,
    landings.utm_content,
    landings.referrer,
    landings.referrer_host
from sessions
inner join landings
    on sessions.visitor_id = landings.visitor_id and sessions.session_number = landings.session_number
left join utm_matches
    on
        sessions.visitor_id = utm_matches.visitor_id
        and sessions.session_number = utm_matches.session_number
        and utm_matches.preference = 1
left join referrer_matches
    on
        sessions.visitor_id = referrer_matches.visitor_id
        and sessions.session_number = referrer_matches.session_number
