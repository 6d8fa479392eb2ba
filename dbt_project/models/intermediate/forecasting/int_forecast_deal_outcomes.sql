{#- What became of each deal open at each as-of instant: its first close after it (null
    while it has not closed), whether that was a win, and the amount then (reporting
    currency at the close day's rate). Time-to-close curves learn from these outcomes
    censored at each forecast's own as-of instant; backtests score against them. -#}
with open_deals as (
    select
        as_of_date,
        as_of_at,
        deal_key
    from {{ ref('int_forecast_open_deals') }}
),

states as (
    select * from {{ ref('deal_state_history') }}
    where not is_excluded_from_metrics
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

closes as (
    select
        open_deals.as_of_date,
        open_deals.deal_key,
        states.valid_from as closed_at,
        states.is_won,
        states.amount,
        states.currency_code,
        row_number() over (
            partition by open_deals.as_of_date, open_deals.deal_key order by states.valid_from
        ) as close_number
    from open_deals
    inner join states
        on
            open_deals.deal_key = states.deal_key
            and states.is_closed
            and states.valid_from >= open_deals.as_of_at
)

select
    open_deals.as_of_date,
    open_deals.deal_key,
    closes.closed_at,
    closes.is_won,
    closes.amount * fx.rate_to_reporting as amount_at_close_reporting
from open_deals
left join closes
    on
        open_deals.as_of_date = closes.as_of_date
        and open_deals.deal_key = closes.deal_key
        and closes.close_number = 1
left join fx
    on
        {{ reporting_date('closes.closed_at') }} = fx.rate_date
        and closes.currency_code = fx.currency_code
