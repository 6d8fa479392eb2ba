{#- The first day of the reporting-time-zone month a UTC timestamp falls in: the key that
    joins a fact to calendar_days' month and fiscal periods. -#}
{% macro reporting_month(timestamp_expression) -%}
    cast({{ dbt.date_trunc('month', to_reporting_tz(timestamp_expression)) }} as date)
{%- endmacro %}

{#- The reporting-time-zone day of a UTC timestamp. -#}
{% macro reporting_date(timestamp_expression) -%}
    cast({{ to_reporting_tz(timestamp_expression) }} as date)
{%- endmacro %}

{#- The UTC instant a reporting-time-zone day ends (the next day's first): what a deal
    stood as "at the end of the day" is the state it held up to it (state_held_until). -#}
{% macro reporting_day_end_utc(date_expression) -%}
    {{ local_to_utc(dbt.dateadd('day', 1, 'cast(' ~ date_expression ~ ' as ' ~ dbt.type_timestamp() ~ ')')) }}
{%- endmacro %}
