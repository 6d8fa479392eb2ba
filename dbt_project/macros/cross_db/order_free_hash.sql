{#- A hash of a group's rows that ignores their order (an aggregate: the sum of the rows'
    64-bit hashes, so a repeated row counts twice): models keep it to tell whether a
    group's inputs changed since the last build. The value may differ between engine
    versions; a changed hash only means the group is rebuilt. -#}
{% macro order_free_hash(expressions) -%}
    {{ return(adapter.dispatch('order_free_hash')(expressions)) }}
{%- endmacro %}

{% macro default__order_free_hash(expressions) -%}
    sum(cast(xxhash64({{ expressions | join(', ') }}) as decimal(38, 0)))
{%- endmacro %}

{% macro duckdb__order_free_hash(expressions) -%}
    sum(hash({{ expressions | join(', ') }}))
{%- endmacro %}
