{#- A 64-bit float (dbt.type_float() is 32-bit on DuckDB, too coarse for FX rates). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'funnelhouse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
