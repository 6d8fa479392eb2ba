{{ config(severity='warn') }}
{#- Warns with every campaign-day a platform did not report within the campaign's own
    dates (int_ad_spend_gaps): lost spend is reported, never invented. -#}
select
    campaign_key,
    missing_date
from {{ ref('int_ad_spend_gaps') }}
