{#- Period conversion, labelled as such: entries into stage j during a month divided by
    entries into stage i during the same month. It mixes cohorts and can exceed 100%; use
    stage_conversion for cohort rates. -#}
with entries as (
    select
        {{ reporting_month('entered_at') }} as period_month,
        pipeline_id,
        canonical_stage,
        count(*) as entries
    from {{ ref('deal_stage_visits') }}
    where not is_excluded_from_metrics
    group by 1, 2, 3
),

stages as (
    select * from {{ ref('canonical_stages') }}
)

select
    from_entries.period_month,
    from_entries.pipeline_id,
    from_entries.canonical_stage as from_stage,
    to_stage.canonical_stage as to_stage,
    from_entries.entries as from_stage_entries,
    coalesce(to_entries.entries, 0) as to_stage_entries,
    coalesce(to_entries.entries, 0) * 1.0 / from_entries.entries as period_conversion_rate
from entries as from_entries
inner join stages as from_stage
    on from_entries.canonical_stage = from_stage.canonical_stage and not from_stage.is_closed
inner join stages as to_stage
    on to_stage.sort_order > from_stage.sort_order and to_stage.canonical_stage <> 'closed_lost'
left join entries as to_entries
    on
        from_entries.period_month = to_entries.period_month
        and from_entries.pipeline_id = to_entries.pipeline_id
        and to_stage.canonical_stage = to_entries.canonical_stage
