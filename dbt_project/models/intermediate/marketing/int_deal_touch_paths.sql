{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='deal_key',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where touch_key is null",
) }}
{#- Every deal's touch path: the touches of the people on the deal (HubSpot deal-contact
    associations; Salesforce leads by the opportunity they converted into; a CSV export's
    lead by the deals naming it), ordered by time, then touch key, up to the end of the
    as-of day, each with when its person became a contact or lead. Touches after the deal
    was created stay in the path, flagged: attribution decides which conversion point
    counts.

    Incremental by deal (groups_to_rebuild): a deal's path is made of its own rows below
    (the deal's dates and outcome, its people's touches and creation), so a daily run
    rebuilds only the deals whose rows changed. Their fingerprint is handed down the
    attribution models (int_attribution_deal_touches, int_attribution_touches), which are
    rebuilt for the same deals without reading every path again. -#}
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
),

path_rows as (
    select
        deals.deal_key,
        touches.touch_key,
        touches.touch_source,
        touches.person_key,
        touches.occurred_at,
        touches.channel,
        touches.source_value,
        touches.campaign,
        touches.session_key,
        touches.identified_by_event_id,
        people.created_at as person_created_at,
        deals.created_at as deal_created_at,
        deals.closed_at as deal_closed_at,
        deals.is_won as is_deal_won
    from deals
    inner join deal_people on deals.deal_key = deal_people.deal_key
    inner join touches on deal_people.person_key = touches.person_key
    left join {{ ref('int_contacts') }} as people on touches.person_key = people.contact_key
),

inputs as (
    select
        deal_key,
        {{ order_free_hash([
            'touch_key', 'touch_source', 'person_key', 'occurred_at', 'channel', 'source_value',
            'campaign', 'session_key', 'identified_by_event_id', 'person_created_at',
            'deal_created_at', 'deal_closed_at', 'is_deal_won',
        ]) }} as inputs_fingerprint
    from path_rows
    group by deal_key
),

{{ groups_to_rebuild('inputs', 'deal_key', 'touch_number = 1') }}

select
    groups_to_rebuild.deal_key,
    row_number() over (
        partition by groups_to_rebuild.deal_key
        order by path_rows.occurred_at, path_rows.touch_key
    ) as touch_number,
    path_rows.touch_key,
    path_rows.touch_source,
    path_rows.person_key,
    path_rows.occurred_at,
    path_rows.channel,
    path_rows.source_value,
    path_rows.campaign,
    path_rows.session_key,
    path_rows.identified_by_event_id,
    path_rows.person_created_at,
    path_rows.deal_created_at,
    path_rows.occurred_at <= path_rows.deal_created_at as is_before_deal_creation,
    path_rows.deal_closed_at,
    path_rows.is_deal_won,
    groups_to_rebuild.inputs_fingerprint as _inputs_fingerprint,
    {{ built_at() }} as _built_at
from groups_to_rebuild
left join path_rows on groups_to_rebuild.deal_key = path_rows.deal_key
