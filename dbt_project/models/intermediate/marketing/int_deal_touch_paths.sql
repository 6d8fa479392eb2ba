{#- Every deal's touch path: the touches of the people on the deal (HubSpot deal-contact
    associations; Salesforce leads by the opportunity they converted into; a CSV export's
    lead by the deals naming it), ordered by time, then touch key, up to the end of the
    as-of day. Touches after the deal was created stay in the path, flagged: attribution
    decides which conversion point counts. -#}
with deal_people as (
    select
        deal_key,
        contact_key as person_key
    from {{ ref('stg_hubspot__deal_contacts') }}
    union
    select
        converted_deal_key as deal_key,
        lead_key as person_key
    from {{ ref('stg_salesforce__leads') }}
    where converted_deal_key is not null and not is_deleted and not is_vanished
    union
    select
        deal_key,
        lead_key as person_key
    from {{ ref('stg_csv__deals') }}
    where lead_key is not null and not is_vanished
),

deals as (
    select
        deal_key,
        created_at,
        closed_at,
        is_won
    from {{ ref('int_deals') }}
    where not is_deleted and merged_into_deal_key is null
),

touches as (
    select * from {{ ref('int_marketing_touches') }}
    where occurred_at < {{ as_of_timestamp() }}
)

select
    deals.deal_key,
    row_number() over (
        partition by deals.deal_key order by touches.occurred_at, touches.touch_key
    ) as touch_number,
    touches.touch_key,
    touches.touch_source,
    touches.person_key,
    touches.occurred_at,
    touches.channel,
    touches.source_value,
    touches.campaign,
    touches.session_key,
    touches.identified_by_event_id,
    deals.created_at as deal_created_at,
    touches.occurred_at <= deals.created_at as is_before_deal_creation,
    deals.closed_at as deal_closed_at,
    deals.is_won as is_deal_won
from deals
inner join deal_people on deals.deal_key = deal_people.deal_key
inner join touches on deal_people.person_key = touches.person_key
