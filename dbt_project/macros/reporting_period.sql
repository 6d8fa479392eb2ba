{#- The first day of the reporting-time-zone month a UTC timestamp falls in: the key that
    joins a fact to calendar_days' month and fiscal periods. -#}
{% macro reporting_month(timestamp_expression) -%}
    cast({{ dbt.date_trunc('month', to_reporting_tz(timestamp_expression)) }} as date)
{%- endmacro %}

{#- The reporting-time-zone day of a UTC timestamp. -#}
{% macro reporting_date(timestamp_expression) -%}
    cast({{ to_reporting_tz(timestamp_expression) }} as date)
{%- endmacro %}
