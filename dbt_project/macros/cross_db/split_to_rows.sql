{#- One output row per element of a delimited string column (e.g. merged ids "1;2;3").
    Use as a select-list expression. -#}
{% macro split_to_rows(expression, delimiter) -%}
    {{ return(adapter.dispatch('split_to_rows', 'funnelhouse')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__split_to_rows(expression, delimiter) -%}
    unnest(string_split({{ expression }}, '{{ delimiter }}'))
{%- endmacro %}

{% macro spark__split_to_rows(expression, delimiter) -%}
    explode(split({{ expression }}, '{{ delimiter }}'))
{%- endmacro %}
