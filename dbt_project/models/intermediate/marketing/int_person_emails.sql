{#- Email addresses that name exactly one person, for identifying web visitors and form
    submissions alike: a HubSpot contact's address (a merged contact followed to its
    survivor) names that contact; failing that, a Salesforce lead's names the lead. An
    address several people share (a team inbox) names nobody. -#}
with hubspot_contacts as (
    select * from {{ ref('int_contacts') }}
    where source_system = 'hubspot' and not is_deleted
),

emails as (
    select
        staged.email,
        coalesce(contacts.merged_into_contact_key, contacts.contact_key) as person_key,
        2 as preference
    from {{ ref('stg_hubspot__contacts') }} as staged
    inner join hubspot_contacts as contacts on staged.contact_key = contacts.contact_key
    where staged.email is not null
    union all
    select
        email,
        lead_key as person_key,
        3 as preference
    from {{ ref('stg_salesforce__leads') }}
    where email is not null and not is_deleted and not is_vanished
),

email_preference as (
    select
        email,
        min(preference) as preference
    from emails
    group by email
)

select
    emails.email,
    min(emails.person_key) as person_key,
    min(emails.preference) as preference
from emails
inner join email_preference
    on
        emails.email = email_preference.email
        and emails.preference = email_preference.preference
group by emails.email
-- One person: their least and greatest key agree (cheaper than counting distinct keys).
having min(emails.person_key) = max(emails.person_key)
