{#- Elapsed time between two timestamps in fractional days (time in stage, cycle time). -#}
{% macro days_between(start_expression, end_expression) -%}
    ({{ dbt.datediff(start_expression, end_expression, 'second') }} / 86400.0)
{%- endmacro %}
