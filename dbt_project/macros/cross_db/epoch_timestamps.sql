{#- Epoch milliseconds (13 digits) or microseconds (16 digits, GA4's event_timestamp) as a
    UTC timestamp; anything else goes to parse_utc_timestamp (ISO-8601 with any offset). -#}
{% macro parse_event_timestamp(expression) -%}
    case
        when {{ expression }} similar to '[0-9]{13}'
            then {{ epoch_micros_to_timestamp('cast(' ~ expression ~ ' as bigint) * 1000') }}
        when {{ expression }} similar to '[0-9]{16}'
            then {{ epoch_micros_to_timestamp('cast(' ~ expression ~ ' as bigint)') }}
        else {{ parse_utc_timestamp(expression) }}
    end
{%- endmacro %}

{% macro epoch_micros_to_timestamp(expression) -%}
    {{ return(adapter.dispatch('epoch_micros_to_timestamp', 'funnelhouse')(expression)) }}
{%- endmacro %}

{% macro default__epoch_micros_to_timestamp(expression) -%}
    {{ dbt.dateadd('second', '(' ~ expression ~ ') / 1000000', "cast('1970-01-01' as timestamp)") }}
{%- endmacro %}

{% macro duckdb__epoch_micros_to_timestamp(expression) -%}
    make_timestamp({{ expression }})
{%- endmacro %}

{% macro spark__epoch_micros_to_timestamp(expression) -%}
    timestamp_micros({{ expression }})
{%- endmacro %}
