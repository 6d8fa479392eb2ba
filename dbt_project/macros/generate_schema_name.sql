{#- Layers land in schemas named after them (staging, intermediate, marts, reference),
    not in "<target schema>_<layer>", so BI tools and users find `marts.deals`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
