{#- Per owner x pipeline x open stage: how the rep's deals move through the stage (stays,
    conversion to a later stage, median days in stage) and how much they are worked there
    (completed activities per week in the stage), against the median of the reps in the
    same team, so a manager sees where a rep is slower, leaks or works deals less. The
    owner is the deal's current owner. -#}
with visit_activities as (
    select
        stage_visit_key,
        count(*) as activities
    from {{ ref('deal_activity_timeline') }}
    where is_completed and stage_visit_key is not null
    group by stage_visit_key
),

visits as (
    select
        visits.*,
        deals.owner_key,
        deals.team_name,
        next_stage.sort_order as next_sort_order,
        coalesce(visit_activities.activities, 0) as activities
    from {{ ref('deal_stage_visits') }} as visits
    inner join {{ ref('deals') }} as deals on visits.deal_key = deals.deal_key
    left join {{ ref('canonical_stages') }} as next_stage
        on visits.next_canonical_stage = next_stage.canonical_stage
    left join visit_activities on visits.stage_visit_key = visit_activities.stage_visit_key
    where not visits.is_excluded_from_metrics and not visits.is_closed_stage
),

per_rep as (
    select
        owner_key,
        team_name,
        pipeline_id,
        canonical_stage,
        count(*) as visits,
        count(case when exited_at is not null then 1 end) as completed_visits,
        count(
            case
                when next_sort_order > sort_order and next_canonical_stage <> 'closed_lost' then 1
            end
        ) as advanced,
        {{ percentile('case when exited_at is not null then days_in_stage end', 0.5) }}
            as median_days_in_stage,
        cast(sum(activities) as {{ dbt.type_bigint() }}) as activities,
        sum(days_in_stage) as total_days_in_stage
    from visits
    group by owner_key, team_name, pipeline_id, canonical_stage
),

rated as (
    select
        *,
        advanced * 1.0 / nullif(completed_visits, 0) as conversion_to_next_stage,
        activities * 1.0 / visits as activities_per_visit,
        activities * 7.0 / nullif(total_days_in_stage, 0) as activities_per_week_in_stage
    from per_rep
),

team_medians as (
    select
        team_name,
        pipeline_id,
        canonical_stage,
        {{ percentile('conversion_to_next_stage', 0.5) }} as team_median_conversion,
        {{ percentile('median_days_in_stage', 0.5) }} as team_median_days_in_stage,
        {{ percentile('activities_per_week_in_stage', 0.5) }} as team_median_activities_per_week
    from rated
    group by team_name, pipeline_id, canonical_stage
)

select
    rated.owner_key,
    rated.team_name,
    rated.pipeline_id,
    rated.canonical_stage,
    rated.visits,
    rated.completed_visits,
    rated.advanced,
    rated.conversion_to_next_stage,
    team_medians.team_median_conversion,
    rated.conversion_to_next_stage - team_medians.team_median_conversion
        as conversion_vs_team_median,
    rated.median_days_in_stage,
    team_medians.team_median_days_in_stage,
    rated.median_days_in_stage - team_medians.team_median_days_in_stage
        as days_in_stage_vs_team_median,
    rated.activities,
    rated.activities_per_visit,
    rated.activities_per_week_in_stage,
    team_medians.team_median_activities_per_week,
    rated.activities_per_week_in_stage - team_medians.team_median_activities_per_week
        as activities_per_week_vs_team_median
from rated
left join team_medians
    on
        rated.team_name = team_medians.team_name
        and rated.pipeline_id = team_medians.pipeline_id
        and rated.canonical_stage = team_medians.canonical_stage
