{#- One row per deal as it stood at the as-of time, wide enough for BI: owner and their
    current team, owner at close and the team they were in at the close, company,
    pipeline, canonical stage, amounts, dates, cycle time, and the
    original channel of the deal's first contact. Deleted and merged deals stay, flagged,
    and are excluded from metrics. -#}
with deals as (
    select * from {{ ref('int_deals') }}
),

stages as (
    select * from {{ ref('stg_hubspot__pipeline_stages') }}
),

owners as (
    select * from {{ ref('int_owners') }}
),

team_spells as (
    select * from {{ ref('int_owner_team_history') }}
),

states as (
    select * from {{ ref('deal_state_history') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

-- Created pipeline counts the amount at creation; won revenue the amount at close.
amounts as (
    select
        deals.deal_key,
        max(case when states.state_number = 1 then states.amount end) as amount_at_creation,
        max(
            case
                when
                    states.valid_from <= deals.closed_at
                    and (states.valid_to is null or states.valid_to > deals.closed_at)
                    then states.amount
            end
        ) as amount_at_close
    from deals
    inner join states on deals.deal_key = states.deal_key
    group by deals.deal_key
),

first_company as (
    select
        deal_key,
        min(company_key) as company_key
    from {{ ref('stg_hubspot__deal_companies') }}
    group by deal_key
),

-- The deal's first contact: the earliest-created contact associated with it.
first_contact as (
    select
        deal_key,
        contact_key,
        original_channel,
        original_source
    from (
        select
            links.deal_key,
            contacts.contact_key,
            contacts.original_channel,
            contacts.original_source,
            row_number() over (
                partition by links.deal_key order by contacts.created_at, contacts.contact_key
            ) as contact_rank
        from {{ ref('stg_hubspot__deal_contacts') }} as links
        inner join {{ ref('int_contacts') }} as contacts on links.contact_key = contacts.contact_key
    ) as ranked
    where contact_rank = 1
)

select
    deals.deal_key,
    deals.source_system,
    deals.source_instance,
    deals.deal_id,
    deals.deal_name,
    deals.pipeline_id,
    stages.pipeline_label,
    deals.stage_id,
    stages.stage_label,
    deals.canonical_stage,
    case
        when deals.is_won then 'won'
        when deals.is_closed then 'lost'
        else 'open'
    end as outcome,
    deals.is_closed,
    deals.is_won,
    deals.amount,
    amounts.amount_at_creation,
    amounts.amount_at_close,
    deals.currency_code,
    deals.amount * fx_as_of.rate_to_reporting as amount_reporting,
    amounts.amount_at_creation * fx_created.rate_to_reporting as amount_at_creation_reporting,
    amounts.amount_at_close * fx_closed.rate_to_reporting as amount_at_close_reporting,
    deals.forecast_category,
    stages.crm_probability,
    deals.lost_reason,
    deals.owner_key,
    owners.owner_name,
    owners.team_key,
    owners.team_name,
    deals.owner_at_close_key,
    team_at_close.team_name as team_at_close,
    first_company.company_key,
    first_contact.contact_key as first_contact_key,
    first_contact.original_source as first_touch_source,
    coalesce(first_contact.original_channel, 'unattributed') as first_touch_channel,
    deals.created_at,
    deals.close_date_at,
    deals.closed_at,
    case
        when deals.is_closed then {{ days_between('deals.created_at', 'deals.closed_at') }}
    end as cycle_days,
    deals.is_deleted,
    deals.merged_into_deal_key,
    deals.is_deleted or deals.merged_into_deal_key is not null as is_excluded_from_metrics
from deals
left join stages
    on
        deals.source_system = stages.source_system
        and deals.source_instance = stages.source_instance
        and deals.pipeline_id = stages.pipeline_id
        and deals.stage_id = stages.stage_id
left join amounts on deals.deal_key = amounts.deal_key
-- Each amount converts at its own date's rate: creation, close, and the as-of day.
left join fx as fx_created
    on
        {{ reporting_date("deals.created_at") }} = fx_created.rate_date
        and deals.currency_code = fx_created.currency_code
left join fx as fx_closed
    on
        {{ reporting_date("deals.closed_at") }} = fx_closed.rate_date
        and deals.currency_code = fx_closed.currency_code
left join fx as fx_as_of
    on
        fx_as_of.rate_date = {{ as_of_date() }}
        and deals.currency_code = fx_as_of.currency_code
left join owners on deals.owner_key = owners.owner_key
-- Closed deals credit the team the owner at close was in at the close.
left join team_spells as team_at_close
    on
        deals.owner_at_close_key = team_at_close.owner_key
        and {{ spell_holds_at('team_at_close', 'deals.closed_at') }}
left join first_company on deals.deal_key = first_company.deal_key
left join first_contact on deals.deal_key = first_contact.deal_key
