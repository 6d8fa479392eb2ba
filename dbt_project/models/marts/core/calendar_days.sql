{#- One row per day in the reporting time zone, with calendar and fiscal periods. Fiscal
    years are named by the calendar year they end in (start month 2: Feb 2024 - Jan 2025
    is FY2025); with the default start month 1 they equal calendar years. -#}
{%- set start_month = var('fiscal_year_start_month') | int -%}

with days as (
    {{ date_spine(var('calendar_start_date'), var('calendar_end_date')) }}
),

parts as (
    select
        date_day,
        cast(extract(year from date_day) as {{ dbt.type_int() }}) as calendar_year,
        cast(extract(month from date_day) as {{ dbt.type_int() }}) as calendar_month,
        cast(extract(day from date_day) as {{ dbt.type_int() }}) as day_of_month
    from days
),

fiscal as (
    select
        *,
        mod(calendar_month - {{ start_month }} + 12, 12) + 1 as fiscal_month,
        calendar_year
        + case when {{ start_month }} > 1 and calendar_month >= {{ start_month }} then 1 else 0 end
            as fiscal_year
    from parts
)

select
    date_day,
    calendar_year,
    calendar_month,
    day_of_month,
    cast(floor((calendar_month - 1) / 3) as {{ dbt.type_int() }}) + 1 as calendar_quarter,
    cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
    cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start_date,
    cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
    fiscal_year,
    cast(floor((fiscal_month - 1) / 3) as {{ dbt.type_int() }}) + 1 as fiscal_quarter,
    fiscal_month,
    date_day <= {{ as_of_date() }} as is_on_or_before_as_of
from fiscal
