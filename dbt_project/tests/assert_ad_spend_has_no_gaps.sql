{{ config(severity='warn') }}
{#- Warns with every campaign-day a platform did not report between a campaign's first
    and last reported day (int_ad_spend_gaps): lost spend is reported, never invented. -#}
select
    campaign_key,
    missing_date
from {{ ref('int_ad_spend_gaps') }}
