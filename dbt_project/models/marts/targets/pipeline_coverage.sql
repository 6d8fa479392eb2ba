{#- Each sales target whose period is not over at the as-of date: the open pipeline due in
    it (open deals at the as-of date whose close date falls in the period, or has already
    passed while the period holds the day after the as-of date, as revenue_forecast counts
    them; amounts at the as-of day's rate; the current owner's, as open-pipeline views
    credit) over the target still to win, against
    the coverage the historical win rate requires (1 / win rate by value over the closed
    deals of var target_coverage_win_rate_months months before the as-of month, of the
    same owner at close or team and pipeline; the pipeline's when those closed nothing). -#}
with attainment as (
    select * from {{ ref('target_attainment') }}
    where period_status <> 'closed'
),

open_deals as (
    select * from {{ ref('deal_win_probabilities') }}
    where is_current and not is_excluded_from_forecast
),

recent_closes as (
    select * from {{ ref('win_rates') }}
    where
        close_month < {{ dbt.date_trunc('month', as_of_date()) }}
        and close_month >= {{ dbt.dateadd(
            'month', -var('target_coverage_win_rate_months'), dbt.date_trunc('month', as_of_date())
        ) }}
),

win_rates_by_cell as (
    select
        pipeline_id,
        'owner' as target_level,
        owner_at_close_key as subject,
        sum(won_amount_reporting) as won_amount,
        sum(won_amount_reporting + lost_amount_reporting) as closed_amount
    from recent_closes
    group by 1, 2, 3
    union all
    select
        pipeline_id,
        'team' as target_level,
        team_at_close as subject,
        sum(won_amount_reporting) as won_amount,
        sum(won_amount_reporting + lost_amount_reporting) as closed_amount
    from recent_closes
    group by 1, 2, 3
),

win_rates_by_pipeline as (
    select
        pipeline_id,
        sum(won_amount_reporting) / nullif(sum(won_amount_reporting + lost_amount_reporting), 0)
            as win_rate
    from recent_closes
    group by pipeline_id
),

due as (
    select
        attainment.target_key,
        count(open_deals.deal_key) as open_deals,
        coalesce(sum(open_deals.amount_reporting), 0) as open_amount_reporting
    from attainment
    left join open_deals
        on
            attainment.pipeline_id = open_deals.pipeline_id
            and open_deals.close_date < attainment.period_end_date
            and (
                open_deals.close_date >= attainment.period_start_date
                or attainment.period_start_date <= {{ dbt.dateadd('day', 1, as_of_date()) }}
            )
            and (
                (attainment.target_level = 'owner' and open_deals.owner_key = attainment.owner_key)
                or (attainment.target_level = 'team' and open_deals.team_name = attainment.team_name)
            )
    group by attainment.target_key
),

rated as (
    select
        attainment.*,
        due.open_deals,
        due.open_amount_reporting,
        coalesce(
            cells.won_amount / nullif(cells.closed_amount, 0), pipelines.win_rate
        ) as win_rate,
        case
            when cells.closed_amount > 0 then attainment.target_level
            when pipelines.win_rate is not null then 'pipeline'
        end as win_rate_basis
    from attainment
    inner join due on attainment.target_key = due.target_key
    left join win_rates_by_cell as cells
        on
            attainment.pipeline_id = cells.pipeline_id
            and attainment.target_level = cells.target_level
            and coalesce(attainment.owner_key, attainment.team_name) = cells.subject
    left join win_rates_by_pipeline as pipelines
        on attainment.pipeline_id = pipelines.pipeline_id
)

select
    as_of_date,
    target_key,
    period,
    period_type,
    period_start_date,
    period_end_date,
    fiscal_year,
    fiscal_quarter,
    fiscal_month,
    period_status,
    pipeline_id,
    target_level,
    team_name,
    owner_key,
    owner_name,
    target_amount_reporting,
    won_amount_to_date_reporting,
    remaining_target_reporting,
    open_deals as open_deals_due,
    open_amount_reporting as open_pipeline_due_reporting,
    open_amount_reporting / nullif(remaining_target_reporting, 0) as coverage,
    win_rate as historical_win_rate_by_value,
    win_rate_basis,
    1 / nullif(win_rate, 0) as required_coverage,
    open_amount_reporting / nullif(remaining_target_reporting, 0) >= 1 / nullif(win_rate, 0)
        as is_coverage_sufficient
from rated
