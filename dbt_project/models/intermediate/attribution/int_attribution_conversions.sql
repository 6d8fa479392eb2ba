{#- The conversions attribution splits, one row per live deal and conversion: every deal
    converts to pipeline when it is created; a won deal converts to revenue when it closes. -#}
with deals as (
    select * from {{ ref('int_deals') }}
    where not is_deleted and merged_into_deal_key is null
)

select
    deal_key,
    'pipeline' as conversion,
    created_at as converted_at
from deals
union all
select
    deal_key,
    'revenue' as conversion,
    closed_at as converted_at
from deals
where is_won
