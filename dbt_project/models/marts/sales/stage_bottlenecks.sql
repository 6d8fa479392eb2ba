{#- Per pipeline and open stage: how long deals stay (median and P90 of completed stays),
    where they go next (advance, regress, lost), how often their close date slips while
    there, ranked worst first by P90 time in stage within each pipeline. -#}
with visits as (
    select
        visits.*,
        next_stage.sort_order as next_sort_order
    from {{ ref('deal_stage_visits') }} as visits
    left join {{ ref('canonical_stages') }} as next_stage
        on visits.next_canonical_stage = next_stage.canonical_stage
    where not visits.is_excluded_from_metrics and not visits.is_closed_stage
),

slips as (
    select
        visits.deal_key,
        visits.visit_number,
        count(*) as slips
    from visits
    inner join {{ ref('deal_state_history') }} as states
        on
            visits.deal_key = states.deal_key
            and states.valid_from >= visits.entered_at
            and (visits.exited_at is null or states.valid_from < visits.exited_at)
    where states.is_close_date_slip
    group by visits.deal_key, visits.visit_number
),

stats as (
    select
        visits.pipeline_id,
        visits.canonical_stage,
        visits.sort_order,
        count(*) as visits,
        count(case when visits.is_censored then 1 end) as open_visits,
        count(case when visits.exited_at is not null then 1 end) as completed_visits,
        {{ percentile('case when visits.exited_at is not null then visits.days_in_stage end', 0.5) }}
            as median_days_in_stage,
        {{ percentile('case when visits.exited_at is not null then visits.days_in_stage end', 0.9) }}
            as p90_days_in_stage,
        count(
            case
                when
                    visits.next_sort_order > visits.sort_order
                    and visits.next_canonical_stage <> 'closed_lost'
                    then 1
            end
        ) as advanced,
        count(case when visits.next_sort_order < visits.sort_order then 1 end) as regressed,
        count(case when visits.next_canonical_stage = 'closed_lost' then 1 end) as lost,
        cast(coalesce(sum(slips.slips), 0) as {{ dbt.type_bigint() }}) as close_date_slips
    from visits
    left join slips
        on visits.deal_key = slips.deal_key and visits.visit_number = slips.visit_number
    group by visits.pipeline_id, visits.canonical_stage, visits.sort_order
)

select
    pipeline_id,
    canonical_stage,
    sort_order,
    visits,
    open_visits,
    completed_visits,
    median_days_in_stage,
    p90_days_in_stage,
    advanced,
    regressed,
    lost,
    advanced * 1.0 / nullif(completed_visits, 0) as conversion_to_next_stage,
    lost * 1.0 / nullif(completed_visits, 0) as drop_off_rate,
    close_date_slips,
    close_date_slips * 1.0 / visits as slips_per_visit,
    row_number() over (
        partition by pipeline_id order by p90_days_in_stage desc, canonical_stage
    ) as bottleneck_rank
from stats
