{#- Every current sales target, checked against the calendar, each other and the CRM, in
    the reporting currency. A period is a month (2025-02) or a fiscal quarter (FY2025-Q1)
    of calendar_days' fiscal calendar; an owner is matched by email, CRM owner id or owner
    key, a team by name. target_problem says why a target cannot be used (its period is
    not in the calendar, the owner, team or pipeline is unknown, it overlaps another
    target of the same pipeline and team or owner, or its currency has no rate), naming
    the target: such targets stay here, listed, and out of every mart. Amounts convert at
    the rate of the period's first day (the as-of day's for a period still to come).
    Monthly targets that cover a whole fiscal quarter also give the quarter's target,
    their sum. -#}
with targets as (
    select * from {{ ref('stg_csv__targets') }}
    where not is_vanished
),

owners as (
    select * from {{ ref('int_owners') }}
    -- An export names an owner by address or id, which a rep has in each CRM they use:
    -- resolved against HubSpot's owners only, one match per target.
    where source_system = 'hubspot'
),

teams as (
    select distinct team_name from owners
    where team_name is not null
),

deal_owners as (
    select distinct owner_key from {{ ref('int_deals') }}
    where owner_key is not null
),

pipelines as (
    select distinct pipeline_id from {{ ref('int_deals') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

months as (
    select
        month_start_date,
        fiscal_year,
        fiscal_quarter,
        fiscal_month,
        {{ dbt.concat([
            dbt.safe_cast('calendar_year', dbt.type_string()),
            "'-'",
            "lpad(" ~ dbt.safe_cast('calendar_month', dbt.type_string()) ~ ", 2, '0')",
        ]) }} as month_label,
        {{ dbt.concat([
            "'FY'",
            dbt.safe_cast('fiscal_year', dbt.type_string()),
            "'-Q'",
            dbt.safe_cast('fiscal_quarter', dbt.type_string()),
        ]) }} as quarter_label
    from {{ ref('calendar_days') }}
    where date_day = month_start_date
),

keyed as (
    select
        *,
        {{ dbt.concat([
            "source_instance", "': '", "period", "' / '", "pipeline_id", "' / '",
            "case when owner is null then 'team ' || team_name else 'owner ' || owner end",
        ]) }} as target_key,
        case when period like 'FY%' then 'fiscal_quarter' else 'fiscal_month' end as period_type
    from targets
),

spans as (
    select
        keyed.target_key,
        min(months.month_start_date) as period_start_date,
        cast({{ dbt.dateadd('month', 1, 'max(months.month_start_date)') }} as date)
            as period_end_date,
        min(months.fiscal_year) as fiscal_year,
        min(months.fiscal_quarter) as fiscal_quarter,
        case when min(keyed.period_type) = 'fiscal_month' then min(months.fiscal_month) end
            as fiscal_month
    from keyed
    inner join months
        on
            keyed.period = months.month_label
            or keyed.period = months.quarter_label
    group by keyed.target_key
),

resolved as (
    select
        keyed.*,
        spans.period_start_date,
        spans.period_end_date,
        spans.fiscal_year,
        spans.fiscal_quarter,
        spans.fiscal_month,
        case when keyed.owner is null then 'team' else 'owner' end as target_level,
        coalesce(owners.owner_key, deal_owners.owner_key) as owner_key,
        coalesce(owners.team_name, teams.team_name) as resolved_team_name,
        pipelines.pipeline_id is not null as is_known_pipeline,
        keyed.bookings_target * fx.rate_to_reporting as bookings_target_reporting,
        keyed.pipeline_target * fx.rate_to_reporting as pipeline_target_reporting,
        fx.rate_to_reporting is not null as has_exchange_rate
    from keyed
    left join spans on keyed.target_key = spans.target_key
    left join owners
        on
            lower(keyed.owner) = lower(owners.owner_email)
            or keyed.owner = owners.owner_id
            or keyed.owner = owners.owner_key
    left join deal_owners on keyed.owner = deal_owners.owner_key
    left join teams on lower(keyed.team_name) = lower(teams.team_name)
    left join pipelines on keyed.pipeline_id = pipelines.pipeline_id
    left join fx
        on
            least(spans.period_start_date, {{ as_of_date() }}) = fx.rate_date
            and keyed.currency_code = fx.currency_code
),

overlapping as (
    select
        targets.target_key,
        min(others.target_key) as overlapping_target_key
    from resolved as targets
    inner join resolved as others
        on
            targets.pipeline_id = others.pipeline_id
            and targets.target_level = others.target_level
            and lower(coalesce(targets.owner_key, targets.owner, targets.team_name))
            = lower(coalesce(others.owner_key, others.owner, others.team_name))
            and targets.target_key <> others.target_key
            and targets.period_start_date < others.period_end_date
            and others.period_start_date < targets.period_end_date
    group by targets.target_key
),

checked as (
    select
        resolved.*,
        'target ' || resolved.target_key || ': ' || case
            when resolved.period_start_date is null
                then
                    'period ' || resolved.period || ' is outside the calendar '
                    || '(vars calendar_start_date, calendar_end_date)'
            when resolved.target_level = 'owner' and resolved.owner_key is null
                then
                    'owner ' || resolved.owner || ' is no CRM owner (matched by email, owner id '
                    || 'or owner key); use the owner''s email as in the CRM'
            when resolved.target_level = 'team' and resolved.resolved_team_name is null
                then
                    'team ' || resolved.team_name || ' is no team of the CRM''s owners; '
                    || 'use the team name as in the CRM'
            when not resolved.is_known_pipeline
                then
                    'pipeline ' || resolved.pipeline_id || ' has no deals; '
                    || 'use the CRM''s pipeline id'
            when overlapping.target_key is not null
                then
                    'its period overlaps target ' || overlapping.overlapping_target_key
                    || '; keep one target per period for a pipeline and team or owner'
            when not resolved.has_exchange_rate
                then
                    'no exchange rate for ' || resolved.currency_code || ' on '
                    || cast(least(resolved.period_start_date, {{ as_of_date() }}) as {{ dbt.type_string() }})
        end || '; fix the targets export and rerun' as target_problem
    from resolved
    left join overlapping on resolved.target_key = overlapping.target_key
),

exported as (
    select
        target_key,
        source_instance,
        'export' as target_source,
        period,
        period_type,
        period_start_date,
        period_end_date,
        fiscal_year,
        fiscal_quarter,
        fiscal_month,
        pipeline_id,
        target_level,
        resolved_team_name as team_name,
        owner_key,
        owner,
        currency_code,
        bookings_target,
        pipeline_target,
        bookings_target_reporting,
        pipeline_target_reporting,
        target_problem
    from checked
),

-- A quarter's target from its three monthly targets, when all three are usable.
quarters_of_months as (
    select
        exported.source_instance,
        exported.pipeline_id,
        exported.target_level,
        exported.team_name,
        exported.owner_key,
        exported.fiscal_year,
        exported.fiscal_quarter,
        -- One spelling of the owner for the key: the months may spell it differently.
        min(exported.owner) as owner,
        min(months.quarter_label) as period,
        min(exported.period_start_date) as period_start_date,
        max(exported.period_end_date) as period_end_date,
        case when count(distinct exported.currency_code) = 1 then min(exported.currency_code) end
            as currency_code,
        sum(exported.bookings_target) as bookings_target,
        sum(exported.pipeline_target) as pipeline_target,
        sum(exported.bookings_target_reporting) as bookings_target_reporting,
        sum(exported.pipeline_target_reporting) as pipeline_target_reporting
    from exported
    inner join months on exported.period_start_date = months.month_start_date
    where exported.period_type = 'fiscal_month' and exported.target_problem is null
    group by 1, 2, 3, 4, 5, 6, 7
    having count(*) = 3
)

select * from exported
union all
select
    {{ dbt.concat([
        "source_instance", "': '", "period", "' / '", "pipeline_id", "' / '",
        "case when owner is null then 'team ' || team_name else 'owner ' || owner end",
        "' (sum of months)'",
    ]) }} as target_key,
    source_instance,
    'sum of months' as target_source,
    period,
    'fiscal_quarter' as period_type,
    period_start_date,
    period_end_date,
    fiscal_year,
    fiscal_quarter,
    cast(null as {{ dbt.type_int() }}) as fiscal_month,
    pipeline_id,
    target_level,
    team_name,
    owner_key,
    owner,
    currency_code,
    bookings_target,
    pipeline_target,
    bookings_target_reporting,
    pipeline_target_reporting,
    cast(null as {{ dbt.type_string() }}) as target_problem
from quarters_of_months
