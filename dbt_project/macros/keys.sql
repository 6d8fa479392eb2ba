{#- Every key carries the source system and the CRM instance, so two instances of one
    CRM never collide: hubspot:<portal id>:<record id>. -#}
{% macro source_key(source_system, instance_column, id_column) -%}
    {{ dbt.concat(["'" ~ source_system ~ ":'", instance_column, "':'", id_column]) }}
{%- endmacro %}
