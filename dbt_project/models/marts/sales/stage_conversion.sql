{#- Cohort conversion: of the deals that first entered stage i in a month (reporting time
    zone), how many later reached stage j or beyond (skipped stages count as passed; closed
    lost is beyond nothing), per pipeline and segment (first-touch channel, owner, team).
    Young cohorts are incomplete: cohort_age_days says how long they have had. -#}
with visits as (
    select * from {{ ref('deal_stage_visits') }}
    where not is_excluded_from_metrics
),

deals as (
    select
        deal_key,
        owner_key,
        team_name,
        first_touch_channel
    from {{ ref('deals') }}
),

stages as (
    select * from {{ ref('canonical_stages') }}
),

first_entries as (
    select
        deal_key,
        pipeline_id,
        canonical_stage,
        sort_order,
        min(entered_at) as entered_at
    from visits
    where not is_closed_stage
    group by deal_key, pipeline_id, canonical_stage, sort_order
),

furthest_after_entry as (
    select
        entries.deal_key,
        entries.canonical_stage,
        max(later.sort_order) as furthest_sort_order
    from first_entries as entries
    inner join visits as later
        on
            entries.deal_key = later.deal_key
            and later.entered_at > entries.entered_at
            and later.canonical_stage <> 'closed_lost'
    group by entries.deal_key, entries.canonical_stage
),

pairs as (
    select
        from_stage.canonical_stage as from_stage,
        to_stage.canonical_stage as to_stage,
        to_stage.sort_order as to_sort_order,
        from_stage.sort_order as from_sort_order
    from stages as from_stage
    inner join stages as to_stage
        on
            to_stage.sort_order > from_stage.sort_order
            and not from_stage.is_closed
            and to_stage.canonical_stage <> 'closed_lost'
),

-- One row per cohort, segment and how far the entries went: counted once here, before
-- each is paired with every later stage.
entry_outcomes as (
    select
        {{ reporting_month('entries.entered_at') }} as cohort_month,
        entries.pipeline_id,
        entries.canonical_stage as from_stage,
        deals.first_touch_channel,
        deals.owner_key,
        deals.team_name,
        furthest.furthest_sort_order,
        count(*) as entries
    from first_entries as entries
    inner join deals on entries.deal_key = deals.deal_key
    left join furthest_after_entry as furthest
        on
            entries.deal_key = furthest.deal_key
            and entries.canonical_stage = furthest.canonical_stage
    group by 1, 2, 3, 4, 5, 6, 7
),

cohort_pairs as (
    select
        entry_outcomes.cohort_month,
        entry_outcomes.pipeline_id,
        pairs.from_stage,
        pairs.to_stage,
        entry_outcomes.first_touch_channel,
        entry_outcomes.owner_key,
        entry_outcomes.team_name,
        cast(sum(entry_outcomes.entries) as {{ dbt.type_bigint() }}) as entered,
        cast(
            coalesce(
                sum(
                    case
                        when entry_outcomes.furthest_sort_order >= pairs.to_sort_order
                            then entry_outcomes.entries
                    end
                ),
                0
            ) as {{ dbt.type_bigint() }}
        ) as reached
    from entry_outcomes
    inner join pairs on entry_outcomes.from_stage = pairs.from_stage
    group by 1, 2, 3, 4, 5, 6, 7
)

select
    cohort_month,
    pipeline_id,
    from_stage,
    to_stage,
    first_touch_channel,
    owner_key,
    team_name,
    entered,
    reached,
    reached * 1.0 / entered as conversion_rate,
    {{ dbt.datediff('cohort_month', as_of_date(), 'day') }}
        as cohort_age_days
from cohort_pairs
