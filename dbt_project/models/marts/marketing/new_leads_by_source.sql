{#- New leads per month (reporting time zone) x original source value, exactly as the CRM
    recorded it (blank shown as "(none)"), x the channel it maps to. -#}
select
    event_month as lead_month,
    source_system,
    source_instance,
    original_source,
    original_channel,
    new_leads
from {{ ref('lead_funnel_by_event_month') }}
where new_leads > 0
