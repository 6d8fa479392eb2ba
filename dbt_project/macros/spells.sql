{#- True for the spell of `spells` (a model with valid_from, null since the beginning of
    time, and valid_to, null while it lasts) that holds at `instant`. -#}
{% macro spell_holds_at(spells, instant) -%}
    ({{ spells }}.valid_from is null or {{ spells }}.valid_from <= {{ instant }})
    and ({{ spells }}.valid_to is null or {{ instant }} < {{ spells }}.valid_to)
{%- endmacro %}

{#- True for the state of `states` (deal_state_history) a deal held up to `instant`, not
    included: the last to begin before it. With a day's end, the deal as it stood at the end
    of that day; with a period's end, as it closed the period; with a forecast's as-of
    instant, as it stood then. -#}
{% macro state_held_until(states, instant) -%}
    {{ states }}.valid_from < {{ instant }}
    and ({{ states }}.valid_to is null or {{ states }}.valid_to >= {{ instant }})
{%- endmacro %}
