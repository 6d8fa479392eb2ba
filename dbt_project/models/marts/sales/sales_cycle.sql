{#- Won deals per month of close x pipeline x owner at close: sales cycle (close - create,
    close being the final win) in days, mean, median and P90. -#}
with won as (
    select
        *,
        {{ reporting_month('closed_at') }} as close_month
    from {{ ref('deals') }}
    where is_won and not is_excluded_from_metrics
)

select
    close_month,
    pipeline_id,
    owner_at_close_key,
    count(*) as won_deals,
    avg(cycle_days) as mean_cycle_days,
    {{ percentile('cycle_days', 0.5) }} as median_cycle_days,
    {{ percentile('cycle_days', 0.9) }} as p90_cycle_days
from won
group by close_month, pipeline_id, owner_at_close_key
