{#- The last non-null value of `expression` in an ordered window (carry a value forward). -#}
{% macro last_non_null(expression) -%}
    {{ return(adapter.dispatch('last_non_null', 'funnelhouse')(expression)) }}
{%- endmacro %}

{% macro default__last_non_null(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}

{% macro spark__last_non_null(expression) -%}
    last({{ expression }}, true)
{%- endmacro %}


{#- The continuous percentile p (0-1) of `expression`, as an aggregate. -#}
{% macro percentile(expression, p) -%}
    {{ return(adapter.dispatch('percentile', 'funnelhouse')(expression, p)) }}
{%- endmacro %}

{% macro default__percentile(expression, p) -%}
    percentile_cont({{ p }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile(expression, p) -%}
    quantile_cont({{ expression }}, {{ p }})
{%- endmacro %}

{% macro spark__percentile(expression, p) -%}
    percentile({{ expression }}, {{ p }})
{%- endmacro %}
