{#- CRM hygiene of the open pipeline at the as-of date, the view RevOps acts on: per owner,
    per team, per pipeline and overall (column `scope`), how many open deals miss an amount,
    a close date or an owner, are past their close date, stale, idle, went backwards, or look
    like a duplicate of another open deal. -#}
{%- set duplicate_window_days = 14 -%}
{%- set scopes = {
    'owner': ['pipeline_id', 'team_name', 'owner_key'],
    'team': ['pipeline_id', 'team_name'],
    'pipeline': ['pipeline_id'],
    'all': [],
} -%}
with open_deals as (
    select * from {{ ref('deals') }}
    where not is_closed and not is_excluded_from_metrics
),

follow_up as (
    select * from {{ ref('deals_needing_follow_up') }}
),

regressed as (
    select distinct deal_key
    from {{ ref('deal_stage_visits') }}
    where entered_by_regression
),

-- Two open deals of one company in one pipeline, created within a short window: one of
-- them is probably a duplicate to merge.
duplicated as (
    select distinct this_deal.deal_key
    from open_deals as this_deal
    inner join open_deals as other_deal
        on
            this_deal.company_key = other_deal.company_key
            and this_deal.pipeline_id = other_deal.pipeline_id
            and this_deal.deal_key != other_deal.deal_key
    where
        abs({{ dbt.datediff('other_deal.created_at', 'this_deal.created_at', 'day') }})
        <= {{ duplicate_window_days }}
),

flagged as (
    select
        open_deals.deal_key,
        open_deals.pipeline_id,
        coalesce(open_deals.team_name, '(no team)') as team_name,
        open_deals.owner_key,
        open_deals.owner_name,
        open_deals.amount_reporting,
        open_deals.amount is null as is_missing_amount,
        open_deals.close_date_at is null as is_missing_close_date,
        open_deals.owner_key is null as is_missing_owner,
        coalesce(follow_up.is_past_close_date, false) as is_past_close_date,
        coalesce(follow_up.is_stale, false) as is_stale,
        coalesce(follow_up.is_idle, false) as is_idle,
        regressed.deal_key is not null as has_regressed,
        duplicated.deal_key is not null as is_suspected_duplicate
    from open_deals
    left join follow_up on open_deals.deal_key = follow_up.deal_key
    left join regressed on open_deals.deal_key = regressed.deal_key
    left join duplicated on open_deals.deal_key = duplicated.deal_key
),

scored as (
    select
        *,
        is_missing_amount
        or is_missing_close_date
        or is_missing_owner
        or is_past_close_date
        or is_stale
        or is_idle
        or has_regressed
        or is_suspected_duplicate as has_issue
    from flagged
),

by_scope as (
    {% for scope, columns in scopes.items() %}
        select
            '{{ scope }}' as scope,
            {{ 'pipeline_id' if 'pipeline_id' in columns else 'cast(null as varchar)' }} as pipeline_id,
            {{ 'team_name' if 'team_name' in columns else 'cast(null as varchar)' }} as team_name,
            {{ 'owner_key' if 'owner_key' in columns else 'cast(null as varchar)' }} as owner_key,
            {{ 'max(owner_name)' if 'owner_key' in columns else 'cast(null as varchar)' }} as owner_name,
            count(*) as open_deals,
            sum(amount_reporting) as open_amount_reporting,
            count(case when is_missing_amount then 1 end) as missing_amount,
            count(case when is_missing_close_date then 1 end) as missing_close_date,
            count(case when is_missing_owner then 1 end) as missing_owner,
            count(case when is_past_close_date then 1 end) as past_close_date,
            count(case when is_stale then 1 end) as stale,
            count(case when is_idle then 1 end) as idle,
            count(case when has_regressed then 1 end) as regressed,
            count(case when is_suspected_duplicate then 1 end) as suspected_duplicates,
            count(case when has_issue then 1 end) as deals_with_issues
        from scored
        {% if columns %}group by {{ columns | join(', ') }}{% endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    *,
    {{ dbt.safe_cast('open_deals - deals_with_issues', type_double()) }} / open_deals as hygiene_score
from by_scope
