{#- Raw tables keep every version of a record (ingestion/raw/snapshot.py). This selects
    the latest version per key and instance, tombstones included: callers decide what a
    vanished record means.

    In an incremental staging model (delete+insert on its key) it ranks only the versions
    loaded since the model's last build: a load's sequence is above every earlier load's,
    so a key's newest version among those is its current one, and keys without new versions
    keep their rows. The bound is a literal, so the scan skips the raw table's older row
    groups. -#}
{% macro current_versions(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by _source_instance, {{ key_columns | join(', ') }}
                order by _load_sequence desc
            ) as _version_rank
        from {{ relation }}
        {{ loaded_since_last_build() }}
    ) as versions
    where _version_rank = 1
{%- endmacro %}

{#- In an incremental model built from a raw table by load, the filter to the raw rows of
    the loads since its last build (load sequences grow with every load); nothing in a
    whole build. -#}
{% macro loaded_since_last_build() -%}
    {%- if is_incremental() -%}
        where _load_sequence > {{ built_load_sequence() }}
    {%- endif -%}
{%- endmacro %}

{#- The largest raw load sequence the model's table holds (0 when empty). -#}
{% macro built_load_sequence() -%}
    {%- if not execute -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set built = run_query('select coalesce(max(_load_sequence), 0) from ' ~ this) -%}
    {{ return(built.columns[0].values()[0]) }}
{%- endmacro %}
