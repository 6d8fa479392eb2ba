{#- True for the spell of `spells` (a model with valid_from, null since the beginning of
    time, and valid_to, null while it lasts) that holds at `instant`. -#}
{% macro spell_holds_at(spells, instant) -%}
    ({{ spells }}.valid_from is null or {{ spells }}.valid_from <= {{ instant }})
    and ({{ spells }}.valid_to is null or {{ instant }} < {{ spells }}.valid_to)
{%- endmacro %}
