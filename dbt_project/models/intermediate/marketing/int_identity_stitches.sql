{#- Which person each web visitor is, and the event that said so. Rules, in order:
    1. An event whose user_id is a HubSpot contact id (or an id merged into one) names that
       contact; one whose email is a HubSpot contact's email names that contact; failing
       both, an email of a Salesforce lead names the lead. Emails several people share
       identify nobody.
    2. A visitor joins the person named by its first identifying event (by time, then
       user_id before email, then event id), and every session of the visitor belongs to
       that person from its first anonymous event on. Later events naming someone else
       are counted in identities_seen, not followed (a shared device keeps its first owner).
    3. A contact merged into another is followed to the survivor. -#}
with events as (
    select * from {{ ref('int_web_events') }}
    where not is_filtered and (user_id is not null or email is not null)
),

hubspot_contacts as (
    select * from {{ ref('int_contacts') }}
    where source_system = 'hubspot' and not is_deleted
),

hubspot_ids as (
    select
        contacts.contact_id as identifier,
        coalesce(contacts.merged_into_contact_key, contacts.contact_key) as person_key
    from hubspot_contacts as contacts
    union all
    select
        {{ split_to_rows('staged.merged_contact_ids', ';') }} as identifier,
        staged.contact_key as person_key
    from {{ ref('stg_hubspot__contacts') }} as staged
    where staged.merged_contact_ids is not null and staged.merged_contact_ids <> ''
),

-- Addresses several people share identify no one (int_person_emails).
unique_emails as (
    select
        email as identifier,
        person_key,
        preference
    from {{ ref('int_person_emails') }}
),

identifying_events as (
    select
        events.visitor_id,
        events.event_id,
        events.occurred_at,
        ids.person_key,
        'user_id' as match_rule,
        1 as preference
    from events
    inner join hubspot_ids as ids on events.user_id = ids.identifier
    union all
    select
        events.visitor_id,
        events.event_id,
        events.occurred_at,
        unique_emails.person_key,
        'email' as match_rule,
        unique_emails.preference
    from events
    inner join unique_emails on events.email = unique_emails.identifier
),

ranked as (
    select
        *,
        row_number() over (
            partition by visitor_id order by occurred_at, preference, event_id
        ) as identification_rank
    from identifying_events
),

identities as (
    select
        visitor_id,
        count(distinct person_key) as identities_seen
    from identifying_events
    group by visitor_id
)

select
    ranked.visitor_id,
    ranked.person_key,
    ranked.match_rule,
    ranked.event_id as identified_by_event_id,
    ranked.occurred_at as identified_at,
    identities.identities_seen
from ranked
inner join identities on ranked.visitor_id = identities.visitor_id
where ranked.identification_rank = 1
