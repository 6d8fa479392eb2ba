{#- Every marketing touch of a known person, from these sources:
    - web sessions of identified visitors (int_identity_stitches): the session's channel,
      at its first event, traceable to the event that identified the visitor;
    - HubSpot form submissions, the sender found by the email typed (int_person_emails).
      A form fill is a touch of its own type, hubspot_form_submission, never counted twice:
      when it happened inside a web session of the same person (from the session's first
      event to var('web_session_timeout_minutes') after its last), the session and the
      form fill are one touch, the form fill, keyed by the session's first submission, at
      the session's start with the session's channel (where the visitor came from). A
      submission no session saw (events not exported, tracking blocked) is a touch at its
      submission time, its channel from the page URL's UTM parameters by the same web
      rules ('other' when none matches), else 'direct', as a visit with no referrer;
    - Salesforce campaign responses (CampaignMember with HasResponded) of campaigns whose
      Type maps to a channel in var('crm_touch_channels'): offline touches (events,
      outreach) no website sees; web campaigns are already sessions;
    - HubSpot's original source of a contact (hs_analytics_source and its drill-down), at
      the contact's creation, only when no session, form fill or campaign response of the
      contact comes at or before it: it fills in a first touch no other source saw (an
      event attendee imported, a lead typed in by sales), and never doubles one that was
      seen;
    - a CSV export's lead source (Olist's origin), at the lead's creation: the only touch
      such an export records.
    Anonymous sessions are not touches of anyone; they stay in int_web_sessions. -#}
with web_sessions as (
    select
        sessions.*,
        stitches.person_key,
        stitches.identified_by_event_id
    from {{ ref('int_web_sessions') }} as sessions
    inner join {{ ref('int_identity_stitches') }} as stitches
        on sessions.visitor_id = stitches.visitor_id
),

submissions as (
    select
        submitted.submission_key,
        submitted.submitted_at,
        submitted.utm_source,
        submitted.utm_medium,
        submitted.utm_campaign,
        emails.person_key,
        coalesce(
            submitted.utm_source is not null
            or submitted.utm_medium is not null
            or submitted.utm_campaign is not null,
            false
        ) as has_utm
    from {{ ref('stg_hubspot__form_submissions') }} as submitted
    inner join {{ ref('int_person_emails') }} as emails on submitted.email = emails.email
),

-- The session each submission happened in: the person's latest begun at or before it
-- and not timed out by then.
submission_sessions as (
    select
        submission_key,
        session_key,
        submitted_at
    from (
        select
            submissions.submission_key,
            submissions.submitted_at,
            sessions.session_key,
            row_number() over (
                partition by submissions.submission_key order by sessions.started_at desc
            ) as session_rank
        from submissions
        inner join web_sessions as sessions
            on
                submissions.person_key = sessions.person_key
                and submissions.submitted_at >= sessions.started_at
                and submissions.submitted_at <= {{ dbt.dateadd(
                    'minute', var('web_session_timeout_minutes'), 'sessions.ended_at'
                ) }}
    ) as candidates
    where session_rank = 1
),

session_forms as (
    select
        session_key,
        submission_key
    from (
        select
            session_key,
            submission_key,
            row_number() over (
                partition by session_key order by submitted_at, submission_key
            ) as submission_rank
        from submission_sessions
    ) as firsts
    where submission_rank = 1
),

web as (
    select
        case
            when session_forms.submission_key is null
                then {{ dbt.concat(["'web:'", 'sessions.session_key']) }}
            else {{ dbt.concat(["'hubspot_form_submission:'", 'session_forms.submission_key']) }}
        end as touch_key,
        case
            when session_forms.submission_key is null then 'web_session'
            else 'hubspot_form_submission'
        end as touch_source,
        sessions.person_key,
        sessions.started_at as occurred_at,
        sessions.channel,
        sessions.source_value,
        sessions.utm_campaign as campaign,
        sessions.session_key,
        sessions.identified_by_event_id
    from web_sessions as sessions
    left join session_forms on sessions.session_key = session_forms.session_key
),

utm_matches as (
    {{ utm_channel_matches('submissions', ['submission_key']) }}
),

unseen_submissions as (
    select
        {{ dbt.concat(["'hubspot_form_submission:'", 'submissions.submission_key']) }}
            as touch_key,
        'hubspot_form_submission' as touch_source,
        submissions.person_key,
        submissions.submitted_at as occurred_at,
        case
            when submissions.has_utm then coalesce(utm_matches.channel, 'other')
            else 'direct'
        end as channel,
        case
            when submissions.has_utm
                then {{ utm_source_value('submissions.utm_source', 'submissions.utm_medium') }}
        end as source_value,
        submissions.utm_campaign as campaign,
        cast(null as {{ dbt.type_string() }}) as session_key,
        cast(null as {{ dbt.type_string() }}) as identified_by_event_id
    from submissions
    left join utm_matches
        on submissions.submission_key = utm_matches.submission_key and utm_matches.preference = 1
    where not exists (
        select 1 from submission_sessions
        where submission_sessions.submission_key = submissions.submission_key
    )
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
    from unseen_submissions
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
select * from unseen_submissions
union all
select * from campaign_responses
union all
select * from hubspot_sources
union all
select * from csv_lead_sources
