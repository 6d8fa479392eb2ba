{#- Pipeline movement per month (reporting time zone) x pipeline: the open pipeline due to
    close in the month, from its start to its end, and every flow in between, measured
    against the close date and amount each deal had at the month's start (or at creation):

    ending = starting + created + pulled_in + reopened + amount_change - won - lost - slipped

    exactly, by count and by amount. A deal that enters the month's pipeline and closes
    within it shows on both sides. Each deal's flows are in int_deal_month_movements;
    amounts convert here at the month's first day's rate. -#}
with movements as (
    select * from {{ ref('int_deal_month_movements') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

converted as (
    select
        movements.*,
        coalesce(fx.rate_to_reporting, 1) as rate
    from movements
    left join fx
        on movements.period_month = fx.rate_date and movements.currency_code = fx.currency_code
)

select
    period_month,
    pipeline_id,
    count(case when entry = 'starting' then 1 end) as starting_deals,
    coalesce(sum(case when entry = 'starting' then entry_amount * rate end), 0)
        as starting_amount,
    count(case when entry = 'created' then 1 end) as created_deals,
    coalesce(sum(case when entry = 'created' then entry_amount * rate end), 0) as created_amount,
    count(case when entry = 'pulled_in' then 1 end) as pulled_in_deals,
    coalesce(sum(case when entry = 'pulled_in' then entry_amount * rate end), 0)
        as pulled_in_amount,
    count(case when entry = 'reopened' then 1 end) as reopened_deals,
    coalesce(sum(case when entry = 'reopened' then entry_amount * rate end), 0)
        as reopened_amount,
    count(case when fate = 'won' then 1 end) as won_deals,
    coalesce(sum(case when fate = 'won' then entry_amount * rate end), 0) as won_amount,
    count(case when fate = 'lost' then 1 end) as lost_deals,
    coalesce(sum(case when fate = 'lost' then entry_amount * rate end), 0) as lost_amount,
    count(case when fate = 'slipped' then 1 end) as slipped_deals,
    coalesce(sum(case when fate = 'slipped' then entry_amount * rate end), 0) as slipped_amount,
    count(case when is_pushed then 1 end) as pushed_deals,
    coalesce(sum(amount_change * rate), 0) as amount_change,
    count(case when is_in_ending_pipeline then 1 end) as ending_deals,
    coalesce(sum(case when is_in_ending_pipeline then end_amount * rate end), 0)
        as ending_amount
from converted
group by period_month, pipeline_id
