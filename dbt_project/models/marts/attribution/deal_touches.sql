{#- One row per deal and touch within the attribution lookback window, in (time, touch id)
    order, with the key points it is (first interaction, lead creation, deal creation, closed
    won) and which conversion paths it belongs to: pipeline (up to deal creation), revenue
    (up to closed won). -#}
select
    deal_key,
    touch_number,
    touch_key,
    touch_source,
    person_key,
    occurred_at,
    channel,
    source_value,
    campaign,
    is_first_interaction,
    is_lead_creation,
    is_deal_creation,
    is_closed_won,
    is_in_pipeline_path,
    is_in_revenue_path,
    lead_created_at,
    deal_created_at,
    deal_closed_at
from {{ ref('int_attribution_deal_touches') }}
