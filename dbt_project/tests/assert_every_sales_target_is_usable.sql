{{ config(severity='warn') }}
{#- Warns with every target the marts leave out and why (int_sales_targets.target_problem:
    an unknown owner, team or pipeline, an overlapping period, no exchange rate), so a
    mistake in the targets export is listed, never silently dropped. Rows that break a
    rule on their own were quarantined on landing (quarantine.csv__targets). -#}
select
    target_key,
    target_problem
from {{ ref('int_sales_targets') }}
where target_problem is not null
