{{ config(materialized='view') }}
{#- What one as-of date's Monte Carlo draws depend on, per date: its number of deal periods
    and an order-free hash of them. Every column of int_deal_period_win_probabilities counts
    but learned_as_of (when the periods were learned changes no draw); numbers count as
    32-bit floats, what the draws compare against, so the last bits of a parallel sum in the
    warehouse are no change. int_forecast_simulations reads only the dates whose
    fingerprint differs from the one their draws were made from. -#}
{%- set hashed = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(ref('int_deal_period_win_probabilities')) -%}
        {%- if column.name not in ('as_of_date', 'learned_as_of') -%}
            {%- do hashed.append(
                'cast(' ~ column.name ~ ' as ' ~ dbt.type_float() ~ ')'
                if column.is_float() or column.is_numeric() else column.name
            ) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

select
    as_of_date,
    count(*) as deal_periods,
    {#- Before the table exists (a project only compiled, as by sqlfluff) its columns are
        unknown: the key stands in, and is never built so. #}
    cast({{ order_free_hash(hashed or ['deal_key']) }} as {{ dbt.type_string() }}) as rows_hash
from {{ ref('int_deal_period_win_probabilities') }}
group by as_of_date
