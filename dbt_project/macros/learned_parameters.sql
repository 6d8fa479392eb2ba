{#- Learned parameters (the channel paths the data-driven attribution learns its credits
    from; the forecasts of past as-of dates) are learned again on a cadence rather than on
    every run: a daily run applies the ones learned last, so what is built from them (the
    credits, then every deal's Markov and Shapley weights; the current forecast's curves)
    changes only where the data changed. A model opts in with

        meta: {relearn: {every_days: N, learned_with: "<the settings it learns with>"}}

    and gives each row learned_as_of (the as-of date it was learned at) and learned_with.
    should_full_refresh() builds it whole, from the data as of the run's as-of date, when
    its oldest rows were learned N or more days before that date, any after it (a run for
    an earlier day), with other settings, or never; otherwise the model is incremental and
    adds nothing (`learned_parameters_kept()` in its SQL), or only the run's own as-of date
    (`as_of_dates_to_learn()`). -#}

{#- Whether the learned rows of `node` (a model opting in) in `relation` must be learned
    again; `relation` none (no table yet) needs no decision: the table is built whole. -#}
{% macro learned_too_long_ago(node, relation) -%}
    {%- set relearn = node.config.meta.get('relearn') -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name')
        | map('lower') | list -%}
    {%- if 'learned_as_of' not in columns or 'learned_with' not in columns -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set learned = run_query('select min(cast(learned_as_of as date)), '
        ~ 'max(cast(learned_as_of as date)), min(learned_with), max(learned_with) from '
        ~ relation).rows[0] -%}
    {%- if learned[0] is none or learned[2] != learned[3] -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set as_of = modules.datetime.date.fromisoformat(as_of_value() | string) -%}
    {{ return(learned[1] > as_of or (as_of - learned[0]).days >= relearn.every_days | int
        or learned[2] != relearn.learned_with | string) }}
{%- endmacro %}

{#- In an opted-in model's SQL: the filter that keeps the learned rows as they are. -#}
{% macro learned_parameters_kept() -%}
    {%- if is_incremental() %}
        where false
    {%- endif %}
{%- endmacro %}

{#- The columns every learned row carries. -#}
{% macro learned_parameters_columns() -%}
    {#- (the model's YAML meta is not there yet while dbt parses the SQL) -#}
    {%- set relearn = model.config.get('meta', {}).get('relearn', {}) -%}
    {{ as_of_date() }} as learned_as_of,
    '{{ relearn.get('learned_with', '') }}' as learned_with
{%- endmacro %}

{#- In a model learning per as-of date (the forecasts), the as-of dates of `as_of_dates` (a
    relation with as_of_date and is_current) it builds: all on a whole build; on an
    incremental one the run's own (is_current), or all again when a month ended since the
    last run (a past date on or after the table's newest learned_as_of, the last run's own
    date: the backtests move) or, for a model that follows another one's learning
    (`follows`, whose oldest learned_as_of each row copies), when that one was learned
    again. Dates are told apart by learned_as_of, not by which dates have rows: a month
    end may have no open deal. The model deletes the dates no longer listed in a post-hook. -#}
{% macro as_of_dates_to_learn(as_of_dates, follows=none) -%}
    select distinct
        as_of_date,
        is_current
    from {{ as_of_dates }}
    {%- if is_incremental() %}
        where
            is_current
            {%- if follows %}
                or {{ learned_as_of_followed(follows) }}
                <> (select min(own.learned_as_of) from {{ this }} as own)
            {%- else %}
                or exists (
                    select 1 from {{ as_of_dates }} as listed
                    where
                        not listed.is_current
                        and listed.as_of_date >= (select max(own.learned_as_of) from {{ this }} as own)
                )
            {%- endif %}
    {%- endif %}
{%- endmacro %}

{#- A follower's learned_as_of: the oldest learning of the model it follows. -#}
{% macro learned_as_of_followed(follows) -%}
    (select min(followed.learned_as_of) from {{ follows }} as followed)
{%- endmacro %}
