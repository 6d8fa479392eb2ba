{#- Learned parameters (the channel paths the data-driven attribution learns its credits
    from) are learned again on a cadence rather than on every run: a daily run applies the
    ones learned last, so what is built from them (the credits, then every deal's Markov and
    Shapley weights) changes only for the deals that changed. A model opts in with

        meta: {relearn: {every_days: N, learned_with: "<the settings it learns with>"}}

    and gives each row learned_as_of (the as-of date it was learned at) and learned_with.
    should_full_refresh() builds it whole, from the data as of the run's as-of date, when
    its rows were learned N or more days before that date, after it (a run for an earlier
    day), with other settings, or never; otherwise the model is incremental and adds
    nothing (`learned_parameters_kept()` in its SQL). -#}

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
    {%- if learned[0] is none or learned[0] != learned[1] or learned[2] != learned[3] -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set as_of = modules.datetime.date.fromisoformat(as_of_value() | string) -%}
    {%- set age = (as_of - learned[0]).days -%}
    {{ return(age < 0 or age >= relearn.every_days | int
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
