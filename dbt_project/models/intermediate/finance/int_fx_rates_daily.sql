{#- One rate per currency and day, from the first published rate to the as-of date: a day
    without a published rate (weekends, holidays) carries the last one forward. The rate
    converts one unit of the currency into the reporting currency. -#}
with rates as (
    select * from {{ ref('stg_fx__rates') }}
),

currencies as (
    select
        currency_code,
        min(rate_date) as first_rate_date
    from rates
    group by currency_code
),

first_rate as (
    select min(rate_date) as first_rate_date
    from rates
),

days as (
    select calendar.date_day
    from {{ ref('calendar_days') }} as calendar
    inner join first_rate on calendar.date_day >= first_rate.first_rate_date
    where calendar.date_day <= {{ as_of_date() }}
),

filled as (
    select
        days.date_day as rate_date,
        currencies.currency_code,
        {{ last_non_null('rates.usd_per_unit') }} over (
            partition by currencies.currency_code
            order by days.date_day
            rows between unbounded preceding and current row
        ) as usd_per_unit
    from days
    inner join currencies on days.date_day >= currencies.first_rate_date
    left join rates
        on
            days.date_day = rates.rate_date
            and currencies.currency_code = rates.currency_code
),

reporting as (
    select
        rate_date,
        usd_per_unit as reporting_usd_per_unit
    from filled
    where currency_code = '{{ var("reporting_currency") }}'
)

select
    filled.rate_date,
    filled.currency_code,
    filled.usd_per_unit,
    filled.usd_per_unit / reporting.reporting_usd_per_unit as rate_to_reporting
from filled
inner join reporting on filled.rate_date = reporting.rate_date
