{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ return(adapter.dispatch('test_unique_combination_of_columns', 'funnelhouse')(
        model, combination_of_columns
    )) }}
{% endtest %}

{% macro default__test_unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as copies
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endmacro %}

{#- The same duplicates, found in two steps: rows grouped first by a 64-bit hash of the
    columns (8 bytes a row, where keys such as a deal's, a touch's and a model's run to
    100), then only the rows whose hash repeats (the duplicates, and any rare collision)
    grouped by the columns themselves. Tens of millions of keys no longer spill. -#}
{% macro duckdb__test_unique_combination_of_columns(model, combination_of_columns) %}
{%- set columns = combination_of_columns | join(', ') %}
with repeated_hashes as (
    select hash({{ columns }}) as row_hash
    from {{ model }}
    group by hash({{ columns }})
    having count(*) > 1
)

select {{ columns }}, count(*) as copies
from {{ model }}
where hash({{ columns }}) in (select row_hash from repeated_hashes)
group by {{ columns }}
having count(*) > 1
{% endmacro %}
