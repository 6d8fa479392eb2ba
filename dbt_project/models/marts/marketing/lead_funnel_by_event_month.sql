{#- Lead funnel by event month, labelled as such: how many contacts became a lead, MQL,
    SQL, opportunity or customer in each month (reporting time zone), whenever they
    entered the funnel. Mixes cohorts; use lead_funnel for conversion rates. -#}
with contacts as (
    select * from {{ ref('int_contacts') }}
    where not is_deleted and merged_into_contact_key is null
),

events as (
    {% set steps = [
        ('lead', 'coalesce(became_lead_at, created_at)'),
        ('mql', 'became_mql_at'),
        ('sql', 'became_sql_at'),
        ('opportunity', 'became_opportunity_at'),
        ('customer', 'became_customer_at'),
    ] %}
    {% for step, column in steps %}
        select
            '{{ step }}' as funnel_step,
            {{ reporting_month(column) }} as event_month,
            source_system,
            source_instance,
            coalesce(original_source, '(none)') as original_source,
            original_channel
        from contacts
        where {{ column }} < {{ as_of_timestamp() }}
        {{ 'union all' if not loop.last }}
    {% endfor %}
)

select
    event_month,
    source_system,
    source_instance,
    original_source,
    original_channel,
    count(case when funnel_step = 'lead' then 1 end) as new_leads,
    count(case when funnel_step = 'mql' then 1 end) as new_mqls,
    count(case when funnel_step = 'sql' then 1 end) as new_sqls,
    count(case when funnel_step = 'opportunity' then 1 end) as new_opportunities,
    count(case when funnel_step = 'customer' then 1 end) as new_customers
from events
group by event_month, source_system, source_instance, original_source, original_channel
