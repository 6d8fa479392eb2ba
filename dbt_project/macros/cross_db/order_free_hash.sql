{#- Fingerprints, for models that rebuild only what changed since their last build. The
    values may differ between engine versions: a changed fingerprint only means a rebuild. -#}

{#- A 63-bit hash of one row's values, as a bigint. -#}
{% macro row_hash(expressions) -%}
    {{ return(adapter.dispatch('row_hash')(expressions)) }}
{%- endmacro %}

{% macro default__row_hash(expressions) -%}
    xxhash64({{ expressions | join(', ') }})
{%- endmacro %}

{% macro duckdb__row_hash(expressions) -%}
    cast(hash({{ expressions | join(', ') }}) >> 1 as bigint)
{%- endmacro %}

{#- A hash of a group's rows that ignores their order (an aggregate): the sum of the rows'
    hashes, so a repeated row counts twice. -#}
{% macro order_free_hash(expressions) -%}
    sum(cast({{ row_hash(expressions) }} as decimal(38, 0)))
{%- endmacro %}
