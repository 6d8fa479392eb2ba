{#- Raw tables keep every version of a record (ingestion/raw/snapshot.py). This selects
    the latest version per key and instance, tombstones included: callers decide what a
    vanished record means. -#}
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
    ) as versions
    where _version_rank = 1
{%- endmacro %}
