{#- The days a run of pipeline_daily_snapshots (re)builds, as ISO dates: the vars
    snapshot_start_date and snapshot_end_date (a backfill passes both), else the last
    snapshot_window_days days up to the as-of date. Checked here, so a bad range fails
    before any row is deleted. -#}
{% macro snapshot_window() -%}
    {%- set as_of = modules.datetime.date.fromisoformat(as_of_value() | string) -%}
    {%- set window_days = var('snapshot_window_days') | int -%}
    {%- set start_var, end_var = var('snapshot_start_date', none), var('snapshot_end_date', none) -%}
    {%- set end = modules.datetime.date.fromisoformat(end_var | string) if end_var else as_of -%}
    {%- set start = modules.datetime.date.fromisoformat(start_var | string) if start_var
        else end - modules.datetime.timedelta(days=window_days - 1) -%}
    {%- if start > end or end > as_of -%}
        {{ exceptions.raise_compiler_error(
            "snapshot window " ~ start ~ " .. " ~ end ~ " is invalid: snapshot_start_date "
            ~ "must be on or before snapshot_end_date, which must be on or before as_of ("
            ~ as_of ~ ")") }}
    {%- endif -%}
    {{ return({'start': start.isoformat(), 'end': end.isoformat()}) }}
{%- endmacro %}
