{#- Every marketing touch of a known person, from three sources:
    - web sessions of identified visitors (int_identity_stitches): the session's channel,
      at its first event, traceable to the event that identified the visitor;
    - Salesforce campaign responses (CampaignMember with HasResponded) of campaigns whose
      Type maps to a channel in var('crm_touch_channels'): offline touches (events,
      outreach) no website sees; web campaigns are already sessions;
    - HubSpot's original source of a contact (hs_analytics_source and its drill-down), at
      the contact's creation, only when no session or campaign response of the contact
      comes at or before it: it fills in a first touch no other source saw (an event
      attendee imported, a lead typed in by sales), and never doubles one that was seen;
    - a CSV export's lead source (Olist's origin), at the lead's creation: the only touch
      such an export records.
    Anonymous sessions are not touches of anyone; they stay in int_web_sessions. -#}
with web as (
    select
        {{ dbt.concat(["'web:'", 'sessions.session_key']) }} as touch_key,
        'web_session' as touch_source,
        stitches.person_key,
        sessions.started_at as occurred_at,
        sessions.channel,
        sessions.source_value,
        sessions.utm_campaign as campaign,
        sessions.session_key,
        stitches.identified_by_event_id
    from {{ ref('int_web_sessions') }} as sessions
    inner join {{ ref('int_identity_stitches') }} as stitches
        on sessions.visitor_id = stitches.visitor_id
),

campaign_channels as (
    select
        source_value as campaign_type,
        channel
    from {{ ref('channel_mapping') }}
    where source_system = 'salesforce' and source_field = 'campaign_type'
),

campaign_responses as (
    select
        {{ dbt.concat(["'salesforce_campaign_member:'", 'members.campaign_member_key']) }}
            as touch_key,
        'salesforce_campaign_member' as touch_source,
        members.lead_key as person_key,
        members.created_at as occurred_at,
        coalesce(campaign_channels.channel, 'other') as channel,
        campaigns.campaign_type as source_value,
        campaigns.campaign_name as campaign,
        cast(null as {{ dbt.type_string() }}) as session_key,
        cast(null as {{ dbt.type_string() }}) as identified_by_event_id
    from {{ ref('stg_salesforce__campaign_members') }} as members
    inner join {{ ref('stg_salesforce__campaigns') }} as campaigns
        on members.campaign_key = campaigns.campaign_key
    left join campaign_channels on campaigns.campaign_type = campaign_channels.campaign_type
    where
        members.has_responded
        and not members.is_deleted
        and not members.is_vanished
        and members.lead_key is not null
        and coalesce(campaign_channels.channel, 'other') in (
            {%- for channel in var('crm_touch_channels') %}
                '{{ channel }}'{{ "," if not loop.last }}
            {%- endfor %}
        )
),

seen as (
    select
        person_key,
        occurred_at
    from web
    union all
    select
        person_key,
        occurred_at
    from campaign_responses
),

hubspot_sources as (
    select
        {{ dbt.concat(["'hubspot_original_source:'", 'contacts.contact_key']) }} as touch_key,
        'hubspot_original_source' as touch_source,
        contacts.contact_key as person_key,
        contacts.created_at as occurred_at,
        contacts.original_channel as channel,
        contacts.original_source as source_value,
        contacts.original_source_detail_1 as campaign,
        cast(null as {{ dbt.type_string() }}) as session_key,
        cast(null as {{ dbt.type_string() }}) as identified_by_event_id
    from {{ ref('int_contacts') }} as contacts
    where
        contacts.source_system = 'hubspot'
        and not contacts.is_deleted
        and contacts.merged_into_contact_key is null
        and contacts.original_source is not null
        and not exists (
            select 1 from seen
            where seen.person_key = contacts.contact_key and seen.occurred_at <= contacts.created_at
        )
),

csv_lead_sources as (
    select
        {{ dbt.concat(["'csv_lead_source:'", 'contact_key']) }} as touch_key,
        'csv_lead_source' as touch_source,
        contact_key as person_key,
        created_at as occurred_at,
        original_channel as channel,
        original_source as source_value,
        cast(null as {{ dbt.type_string() }}) as campaign,
        cast(null as {{ dbt.type_string() }}) as session_key,
        cast(null as {{ dbt.type_string() }}) as identified_by_event_id
    from {{ ref('int_contacts') }}
    where source_system = 'csv' and not is_deleted and original_source is not null
)

select * from web
union all
select * from campaign_responses
union all
select * from hubspot_sources
union all
select * from csv_lead_sources
