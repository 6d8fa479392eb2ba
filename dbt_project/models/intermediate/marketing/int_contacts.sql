{#- Contacts of every source with their lifecycle dates and original source mapped to the
    canonical channel taxonomy. The original value is always kept beside the channel: a
    value no rule matches lands in 'other', a blank one in 'unattributed'. -#}
with contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
),

rules as (
    select * from {{ ref('channel_mapping') }}
    where source_field = 'hs_analytics_source'
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
    from contacts
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
    contacts.is_archived or contacts.is_vanished as is_deleted,
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
