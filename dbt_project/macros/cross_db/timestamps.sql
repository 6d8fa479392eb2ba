{#- Timestamps are stored as UTC without a zone. These macros are the only place that
    knows how each engine parses and shifts them, so models stay portable. -#}

{% macro parse_utc_timestamp(expression) -%}
    {{ return(adapter.dispatch('parse_utc_timestamp', 'funnelhouse')(expression)) }}
{%- endmacro %}

{% macro default__parse_utc_timestamp(expression) -%}
    cast({{ expression }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- A value with an offset (Z, +02:00, +0000) is shifted to UTC; a value without one is
    already UTC. Casting to timestamptz alone would read zone-less values in the session's
    time zone, and casting to timestamp alone would drop offsets. -#}
{% macro duckdb__parse_utc_timestamp(expression) -%}
    case
        when regexp_matches({{ expression }}, '(Z|[+-][0-9]{2}:?[0-9]{2})$')
            then (try_cast({{ expression }} as timestamptz) at time zone 'UTC')
        else try_cast({{ expression }} as timestamp)
    end
{%- endmacro %}

{% macro spark__parse_utc_timestamp(expression) -%}
    to_utc_timestamp(to_timestamp({{ expression }}), 'UTC')
{%- endmacro %}


{#- UTC timestamp -> wall-clock time in the reporting time zone (for day and month bounds). -#}
{% macro to_reporting_tz(expression) -%}
    {{ return(adapter.dispatch('to_reporting_tz', 'funnelhouse')(expression)) }}
{%- endmacro %}

{% macro default__to_reporting_tz(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro duckdb__to_reporting_tz(expression) -%}
    {%- if var('reporting_timezone') == 'UTC' -%}
        {{ expression }}
    {%- else -%}
        timezone('{{ var("reporting_timezone") }}', ({{ expression }}) at time zone 'UTC')
    {%- endif -%}
{%- endmacro %}

{% macro spark__to_reporting_tz(expression) -%}
    from_utc_timestamp({{ expression }}, '{{ var("reporting_timezone") }}')
{%- endmacro %}


{#- Wall-clock time in the reporting time zone -> UTC timestamp. -#}
{% macro local_to_utc(expression) -%}
    {{ return(adapter.dispatch('local_to_utc', 'funnelhouse')(expression)) }}
{%- endmacro %}

{% macro default__local_to_utc(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro duckdb__local_to_utc(expression) -%}
    {%- if var('reporting_timezone') == 'UTC' -%}
        {{ expression }}
    {%- else -%}
        (timezone('{{ var("reporting_timezone") }}', {{ expression }}) at time zone 'UTC')
    {%- endif -%}
{%- endmacro %}

{% macro spark__local_to_utc(expression) -%}
    to_utc_timestamp({{ expression }}, '{{ var("reporting_timezone") }}')
{%- endmacro %}


{#- A timestamp with a time zone (raw's _loaded_at) as a UTC timestamp without one, the
    form every staged timestamp has. -#}
{% macro tz_to_utc_timestamp(expression) -%}
    {{ return(adapter.dispatch('tz_to_utc_timestamp', 'funnelhouse')(expression)) }}
{%- endmacro %}

{% macro default__tz_to_utc_timestamp(expression) -%}
    ({{ expression }} at time zone 'UTC')
{%- endmacro %}

{% macro snowflake__tz_to_utc_timestamp(expression) -%}
    cast(convert_timezone('UTC', {{ expression }}) as timestamp_ntz)
{%- endmacro %}

{% macro bigquery__tz_to_utc_timestamp(expression) -%}
    datetime({{ expression }}, 'UTC')
{%- endmacro %}
