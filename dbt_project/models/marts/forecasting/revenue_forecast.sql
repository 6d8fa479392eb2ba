{#- Revenue still to come per as-of date x fiscal month x grain (owner, team, pipeline,
    total) x method, in the reporting currency. Methods: weighted (CRM stage probability x
    amount), historical (historical conversion x amount) and the commit / best-case roll-ups
    by forecast category count each open deal in the month its close date falls in (a
    close date already past counts in the first month); time_aware spreads each deal over
    the months by its time-to-close curves; monte_carlo gives the mean and P10 / P50 / P90
    of the same draws at every grain; new_deals (pipeline and total only) is the revenue
    expected from deals not created yet, a line of its own. Deals with bad input are left
    out of every sum (deal_win_probabilities lists them). -#}
{#- Methods that count a deal in its close date's month: the amount each counts, and the
    forecast categories it is limited to, as an SQL list (none: every open deal). -#}
{%- set close_date_methods = {
    'weighted': ('crm_probability * amount_reporting', none),
    'historical': ('historical_win_probability * amount_reporting', none),
    'commit': ('amount_reporting', "'commit'"),
    'best_case': ('amount_reporting', "'commit', 'best_case'"),
} -%}
with deals as (
    select * from {{ ref('deal_win_probabilities') }}
    where not is_excluded_from_forecast
),

periods as (
    select * from {{ ref('int_forecast_periods') }}
),

period_probabilities as (
    select * from {{ ref('int_deal_period_win_probabilities') }}
    where win_probability > 0
),

simulations as (
    select * from {{ ref('int_forecast_simulations') }}
    where period_type = 'fiscal_month'
),

new_deals as (
    select * from {{ ref('int_forecast_new_deals') }}
),

by_close_date as (
    select
        deals.*,
        periods.period_number
    from deals
    inner join periods
        on
            deals.as_of_date = periods.as_of_date
            and (deals.close_date >= periods.period_start_date or periods.period_number = 1)
            and deals.close_date < periods.period_end_date
),

deal_amounts as (
    {%- for method, (amount, categories) in close_date_methods.items() %}
        select
            as_of_date,
            period_number,
            pipeline_id,
            team_name,
            owner_key,
            '{{ method }}' as method,
            {{ amount }} as amount
        from by_close_date
        {%- if categories %}
            where forecast_category in ({{ categories }})
        {%- endif %}

        union all
    {% endfor %}
    select
        as_of_date,
        period_number,
        pipeline_id,
        team_name,
        owner_key,
        'time_aware' as method,
        win_probability * amount_reporting as amount
    from period_probabilities
),

levels as (
    select
        'owner' as aggregation_level,
        3 as depth
    union all
    select
        'team' as aggregation_level,
        2 as depth
    union all
    select
        'pipeline' as aggregation_level,
        1 as depth
    union all
    select
        'total' as aggregation_level,
        0 as depth
),

summed as (
    select
        deal_amounts.as_of_date,
        deal_amounts.period_number,
        levels.aggregation_level,
        case when levels.depth >= 1 then deal_amounts.pipeline_id end as pipeline_id,
        case when levels.depth >= 2 then deal_amounts.team_name end as team_name,
        case when levels.depth >= 3 then deal_amounts.owner_key end as owner_key,
        deal_amounts.method,
        count(*) as deals,
        sum(deal_amounts.amount) as forecast_amount_reporting,
        cast(null as {{ type_double() }}) as p10_amount_reporting,
        cast(null as {{ type_double() }}) as p50_amount_reporting,
        cast(null as {{ type_double() }}) as p90_amount_reporting,
        cast(null as {{ dbt.type_int() }}) as simulations
    from deal_amounts
    cross join levels
    group by 1, 2, 3, 4, 5, 6, 7
),

simulated as (
    select
        as_of_date,
        period_number,
        aggregation_level,
        pipeline_id,
        team_name,
        owner_key,
        'monte_carlo' as method,
        deals,
        mean_amount as forecast_amount_reporting,
        p10_amount as p10_amount_reporting,
        p50_amount as p50_amount_reporting,
        p90_amount as p90_amount_reporting,
        simulations
    from simulations
),

not_yet_created as (
    select
        new_deals.as_of_date,
        new_deals.period_number,
        levels.aggregation_level,
        case when levels.depth >= 1 then new_deals.pipeline_id end as pipeline_id,
        cast(null as {{ dbt.type_string() }}) as team_name,
        cast(null as {{ dbt.type_string() }}) as owner_key,
        'new_deals' as method,
        cast(null as {{ dbt.type_bigint() }}) as deals,
        sum(new_deals.expected_amount_reporting) as forecast_amount_reporting,
        cast(null as {{ type_double() }}) as p10_amount_reporting,
        cast(null as {{ type_double() }}) as p50_amount_reporting,
        cast(null as {{ type_double() }}) as p90_amount_reporting,
        cast(null as {{ dbt.type_int() }}) as simulations
    from new_deals
    inner join levels on levels.depth <= 1
    group by 1, 2, 3, 4
),

forecasts as (
    select * from summed
    union all
    select * from simulated
    union all
    select * from not_yet_created
)

select
    forecasts.as_of_date,
    periods.is_current,
    forecasts.period_number,
    periods.period_start_date,
    periods.period_end_date,
    periods.fiscal_year,
    periods.fiscal_quarter,
    periods.fiscal_month,
    forecasts.aggregation_level,
    forecasts.pipeline_id,
    forecasts.team_name,
    forecasts.owner_key,
    forecasts.method,
    forecasts.deals,
    forecasts.forecast_amount_reporting,
    forecasts.p10_amount_reporting,
    forecasts.p50_amount_reporting,
    forecasts.p90_amount_reporting,
    forecasts.simulations
from forecasts
inner join periods
    on
        forecasts.as_of_date = periods.as_of_date
        and forecasts.period_number = periods.period_number
