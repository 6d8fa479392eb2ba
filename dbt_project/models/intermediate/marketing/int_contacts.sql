{#- Contacts of every source with their lifecycle dates and original source mapped to the
    canonical channel taxonomy. The original value is always kept beside the channel: a
    value no rule matches lands in 'other', a blank one in 'unattributed'. A step is
    dated only where the source records it: no source but HubSpot records MQL or SQL. -#}
with hubspot_contacts as (
    select
        contact_key,
        source_system,
        source_instance,
        contact_id,
        company_key,
        lifecycle_stage,
        'hs_analytics_source' as source_field,
        original_source,
        original_source_detail_1,
        created_at,
        became_lead_at,
        became_mql_at,
        became_sql_at,
        became_opportunity_at,
        became_customer_at,
        is_archived or is_vanished as is_deleted,
        merged_contact_ids
    from {{ ref('stg_hubspot__contacts') }}
),

-- An exported lead becomes an opportunity with its first deal and a customer with its
-- first win.
csv_lead_deals as (
    select
        deals.lead_key,
        min(coalesce(deals.created_at, deals.closed_at)) as first_deal_at,
        min(case when stages.is_won then deals.closed_at end) as first_won_at
    from {{ ref('stg_csv__deals') }} as deals
    left join {{ ref('int_stages_mapped') }} as stages
        on
            deals.source_system = stages.source_system
            and deals.pipeline_id = stages.pipeline_id
            and deals.stage_id = stages.stage_id
    where not deals.is_vanished
    group by deals.lead_key
),

csv_leads as (
    select
        leads.lead_key as contact_key,
        leads.source_system,
        leads.source_instance,
        leads.lead_id as contact_id,
        cast(null as {{ dbt.type_string() }}) as company_key,
        case
            when lead_deals.first_won_at is not null then 'customer'
            when lead_deals.first_deal_at is not null then 'opportunity'
            else 'lead'
        end as lifecycle_stage,
        'source' as source_field,
        leads.original_source,
        cast(null as {{ dbt.type_string() }}) as original_source_detail_1,
        leads.created_at,
        leads.created_at as became_lead_at,
        cast(null as {{ dbt.type_timestamp() }}) as became_mql_at,
        cast(null as {{ dbt.type_timestamp() }}) as became_sql_at,
        lead_deals.first_deal_at as became_opportunity_at,
        lead_deals.first_won_at as became_customer_at,
        leads.is_vanished as is_deleted,
        cast(null as {{ dbt.type_string() }}) as merged_contact_ids
    from {{ ref('stg_csv__leads') }} as leads
    left join csv_lead_deals as lead_deals on leads.lead_key = lead_deals.lead_key
),

-- The deals that count for a person's lifecycle: live ones, as every metric counts them.
live_deals as (
    select
        deal_key,
        created_at,
        is_won,
        closed_at
    from {{ ref('int_deals') }}
    where not is_deleted and merged_into_deal_key is null
),

{#- A Salesforce Lead is the person until converted, and keeps being it after: the key is
    the Lead's (salesforce:<org>:<Lead Id>), the person key activities, campaign touches
    and attribution paths already use. Conversion makes a Contact of the same person
    (ConvertedContactId); Contacts are not read, so a converted lead counts once.
    Contacts created without a lead never were leads and stay out of the funnel: which
    opportunities they are on is unknown (OpportunityContactRole is not landed). The
    standard Lead records no MQL or SQL date; it becomes an opportunity on its
    ConvertedDate (a date, midnight UTC) and a customer when the opportunity it converted
    into is won. -#}
salesforce_leads as (
    select
        leads.lead_key as contact_key,
        leads.source_system,
        leads.source_instance,
        leads.lead_id as contact_id,
        cast(null as {{ dbt.type_string() }}) as company_key,
        case
            when won.closed_at is not null then 'customer'
            when leads.converted_at is not null then 'opportunity'
            else 'lead'
        end as lifecycle_stage,
        'LeadSource' as source_field,
        leads.lead_source as original_source,
        cast(null as {{ dbt.type_string() }}) as original_source_detail_1,
        leads.created_at,
        leads.created_at as became_lead_at,
        cast(null as {{ dbt.type_timestamp() }}) as became_mql_at,
        cast(null as {{ dbt.type_timestamp() }}) as became_sql_at,
        leads.converted_at as became_opportunity_at,
        won.closed_at as became_customer_at,
        leads.is_deleted or leads.is_vanished as is_deleted,
        cast(null as {{ dbt.type_string() }}) as merged_contact_ids
    from {{ ref('stg_salesforce__leads') }} as leads
    left join live_deals as won on leads.converted_deal_key = won.deal_key and won.is_won
),

-- A Pipedrive person becomes an opportunity with their first deal and a customer with
-- their first win. Persons have no source field: their first deal's Source channel is
-- the only record of where they came from.
pipedrive_person_deals as (
    select
        staged.contact_key,
        live_deals.created_at,
        live_deals.is_won,
        live_deals.closed_at,
        staged.source_channel,
        row_number() over (
            partition by staged.contact_key order by live_deals.created_at, live_deals.deal_key
        ) as deal_number
    from {{ ref('stg_pipedrive__deals') }} as staged
    inner join live_deals on staged.deal_key = live_deals.deal_key
    where staged.contact_key is not null
),

pipedrive_lifecycles as (
    select
        contact_key,
        min(created_at) as first_deal_at,
        min(case when is_won then closed_at end) as first_won_at,
        max(case when deal_number = 1 then source_channel end) as source_channel
    from pipedrive_person_deals
    group by contact_key
),

pipedrive_persons as (
    select
        persons.contact_key,
        persons.source_system,
        persons.source_instance,
        persons.person_id as contact_id,
        persons.organization_key as company_key,
        case
            when lifecycles.first_won_at is not null then 'customer'
            when lifecycles.first_deal_at is not null then 'opportunity'
            else 'lead'
        end as lifecycle_stage,
        'channel' as source_field,
        lifecycles.source_channel as original_source,
        cast(null as {{ dbt.type_string() }}) as original_source_detail_1,
        persons.created_at,
        persons.created_at as became_lead_at,
        cast(null as {{ dbt.type_timestamp() }}) as became_mql_at,
        cast(null as {{ dbt.type_timestamp() }}) as became_sql_at,
        lifecycles.first_deal_at as became_opportunity_at,
        lifecycles.first_won_at as became_customer_at,
        persons.is_deleted or persons.is_vanished as is_deleted,
        cast(null as {{ dbt.type_string() }}) as merged_contact_ids
    from {{ ref('stg_pipedrive__persons') }} as persons
    left join pipedrive_lifecycles as lifecycles on persons.contact_key = lifecycles.contact_key
),

contacts as (
    select * from hubspot_contacts
    union all
    select * from csv_leads
    union all
    select * from salesforce_leads
    union all
    select * from pipedrive_persons
),

rules as (
    select * from {{ ref('channel_mapping') }}
),

-- A rule naming a source detail beats the generic rule for the same value.
matched as (
    select
        contacts.contact_key,
        rules.channel,
        row_number() over (
            partition by contacts.contact_key
            order by case when rules.source_detail is null then 1 else 0 end
        ) as preference
    from contacts
    inner join rules
        on
            contacts.source_system = rules.source_system
            and contacts.source_field = rules.source_field
            and contacts.original_source = rules.source_value
            and (
                rules.source_detail is null
                or contacts.original_source_detail_1 = rules.source_detail
            )
),

merged_ids as (
    select
        source_instance,
        contact_key as survivor_contact_key,
        {{ split_to_rows('merged_contact_ids', ';') }} as merged_contact_id
    from hubspot_contacts
    where merged_contact_ids is not null and merged_contact_ids <> ''
)

select
    contacts.contact_key,
    contacts.source_system,
    contacts.source_instance,
    contacts.contact_id,
    contacts.company_key,
    contacts.lifecycle_stage,
    contacts.original_source,
    contacts.original_source_detail_1,
    case
        when contacts.original_source is null then 'unattributed'
        else coalesce(matched.channel, 'other')
    end as original_channel,
    contacts.created_at,
    contacts.became_lead_at,
    contacts.became_mql_at,
    contacts.became_sql_at,
    contacts.became_opportunity_at,
    contacts.became_customer_at,
    contacts.is_deleted,
    merged.survivor_contact_key as merged_into_contact_key
from contacts
left join matched on contacts.contact_key = matched.contact_key and matched.preference = 1
left join (
    select
        {{ source_key('hubspot', 'source_instance', 'merged_contact_id') }} as contact_key,
        min(survivor_contact_key) as survivor_contact_key
    from merged_ids
    group by 1
) as merged on contacts.contact_key = merged.contact_key
