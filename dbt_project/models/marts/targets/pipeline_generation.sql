{#- Each sales target with a pipeline-creation target, over the periods begun by the as-of
    date, against the pipeline created in it, by first-touch channel: deals of the
    target's pipeline created in the period and before the as-of instant, at their amount
    at creation in the reporting currency, credited to the owner they were created with
    (a team's target: to the team that owner was in then). One row per channel that created
    pipeline (a target with none has one row, channel null); the target and the total
    created repeat on each of its rows, so sum only the channel columns. -#}
with targets as (
    select * from {{ ref('int_sales_targets') }}
    where
        target_problem is null
        and pipeline_target_reporting is not null
        and period_start_date <= {{ as_of_date() }}
),

team_spells as (
    select * from {{ ref('int_owner_team_history') }}
),

creators as (
    select
        deal_key,
        owner_key
    from {{ ref('deal_state_history') }}
    where state_number = 1
),

created as (
    select
        deals.pipeline_id,
        creators.owner_key as creator_key,
        creator_teams.team_name as creator_team_name,
        deals.first_touch_channel,
        {{ reporting_date('deals.created_at') }} as created_date,
        deals.amount_at_creation_reporting
    from {{ ref('deals') }} as deals
    left join creators on deals.deal_key = creators.deal_key
    -- The creator's team when the deal was created.
    left join team_spells as creator_teams
        on
            creators.owner_key = creator_teams.owner_key
            and {{ spell_holds_at('creator_teams', 'deals.created_at') }}
    where
        not deals.is_excluded_from_metrics
        and deals.created_at < {{ as_of_timestamp() }}
),

by_channel as (
    select
        targets.target_key,
        created.first_touch_channel as channel,
        count(created.created_date) as deals_created,
        coalesce(sum(created.amount_at_creation_reporting), 0) as created_amount_reporting
    from targets
    left join created
        on
            targets.pipeline_id = created.pipeline_id
            and created.created_date >= targets.period_start_date
            and created.created_date < targets.period_end_date
            and (
                (targets.target_level = 'owner' and created.creator_key = targets.owner_key)
                or (targets.target_level = 'team' and created.creator_team_name = targets.team_name)
            )
    group by 1, 2
),

totals as (
    select
        by_channel.*,
        sum(created_amount_reporting) over (partition by target_key)
            as created_total_amount_reporting
    from by_channel
)

select
    {{ as_of_date() }} as as_of_date,
    targets.target_key,
    targets.target_source,
    targets.period,
    targets.period_type,
    targets.period_start_date,
    targets.period_end_date,
    targets.fiscal_year,
    targets.fiscal_quarter,
    targets.fiscal_month,
    targets.period_end_date > {{ dbt.dateadd('day', 1, as_of_date()) }} as is_period_to_date,
    targets.pipeline_id,
    targets.target_level,
    targets.team_name,
    targets.owner_key,
    totals.channel,
    totals.deals_created,
    totals.created_amount_reporting,
    totals.created_amount_reporting / nullif(totals.created_total_amount_reporting, 0)
        as share_of_created,
    totals.created_amount_reporting / nullif(targets.pipeline_target_reporting, 0)
        as contribution_to_target,
    totals.created_total_amount_reporting,
    targets.pipeline_target_reporting,
    totals.created_total_amount_reporting / nullif(targets.pipeline_target_reporting, 0)
        as pipeline_target_attainment
from targets
inner join totals on targets.target_key = totals.target_key
