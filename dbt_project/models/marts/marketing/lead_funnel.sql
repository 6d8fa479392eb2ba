{#- Lead funnel by cohort: contacts grouped by the month they became a lead (reporting time
    zone), original source value and channel, with how many went on to reach MQL, SQL,
    opportunity and customer by the as-of date, and each step's rate. A contact that skips
    a step (outbound leads skip MQL) counts as having passed it once it reaches a later
    one. Sources that never date MQL or SQL (Salesforce, Pipedrive, CSV exports) so count
    as MQLs and SQLs exactly their opportunities, never a drop that did not happen. -#}
with contacts as (
    select
        *,
        coalesce(became_lead_at, created_at) as lead_at
    from {{ ref('int_contacts') }}
    where not is_deleted and merged_into_contact_key is null
),

reached as (
    select
        {{ reporting_month('lead_at') }} as lead_month,
        source_system,
        source_instance,
        coalesce(original_source, '(none)') as original_source,
        original_channel,
        coalesce(
            became_mql_at < {{ as_of_timestamp() }}
            or became_sql_at < {{ as_of_timestamp() }}
            or became_opportunity_at < {{ as_of_timestamp() }}
            or became_customer_at < {{ as_of_timestamp() }},
            false
        ) as reached_mql,
        coalesce(
            became_sql_at < {{ as_of_timestamp() }}
            or became_opportunity_at < {{ as_of_timestamp() }}
            or became_customer_at < {{ as_of_timestamp() }},
            false
        ) as reached_sql,
        coalesce(
            became_opportunity_at < {{ as_of_timestamp() }}
            or became_customer_at < {{ as_of_timestamp() }},
            false
        ) as reached_opportunity,
        coalesce(became_customer_at < {{ as_of_timestamp() }}, false) as reached_customer
    from contacts
    where lead_at < {{ as_of_timestamp() }}
),

counted as (
    select
        lead_month,
        source_system,
        source_instance,
        original_source,
        original_channel,
        count(*) as leads,
        count(case when reached_mql then 1 end) as mqls,
        count(case when reached_sql then 1 end) as sqls,
        count(case when reached_opportunity then 1 end) as opportunities,
        count(case when reached_customer then 1 end) as customers
    from reached
    group by lead_month, source_system, source_instance, original_source, original_channel
)

select
    lead_month,
    source_system,
    source_instance,
    original_source,
    original_channel,
    leads,
    mqls,
    sqls,
    opportunities,
    customers,
    mqls * 1.0 / leads as lead_to_mql_rate,
    sqls * 1.0 / nullif(mqls, 0) as mql_to_sql_rate,
    opportunities * 1.0 / nullif(sqls, 0) as sql_to_opportunity_rate,
    customers * 1.0 / nullif(opportunities, 0) as opportunity_to_customer_rate,
    customers * 1.0 / leads as lead_to_customer_rate,
    {{ dbt.datediff('lead_month', as_of_date(), 'day') }}
        as cohort_age_days
from counted
