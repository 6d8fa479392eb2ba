{#- The run's logical date. Models never read the clock: orchestration passes `as_of`. -#}
{% macro as_of_value() -%}
    {%- set value = var('as_of') -%}
    {%- if value is none and execute -%}
        {{ exceptions.raise_compiler_error(
            "var 'as_of' is not set: run through `funnelhouse run`, or pass "
            ~ "--vars '{as_of: YYYY-MM-DD}' to dbt") }}
    {%- endif -%}
    {{ return(value or '1970-01-01') }}
{%- endmacro %}

{% macro as_of_date() -%}
    cast('{{ as_of_value() }}' as date)
{%- endmacro %}

{#- The exclusive end of the as-of day in the reporting time zone, as a UTC timestamp:
    everything at or after it had not happened yet. -#}
{% macro as_of_timestamp() -%}
    {%- set next_day = modules.datetime.date.fromisoformat(as_of_value() | string)
        + modules.datetime.timedelta(days=1) -%}
    {{ local_to_utc("cast('" ~ next_day.isoformat() ~ " 00:00:00' as timestamp)") }}
{%- endmacro %}
