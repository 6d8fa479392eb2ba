{#- The attribution models, in the order reports list them: the position-based ones of
    var attribution_position_shares (first and last touch, U-, W-shaped, full path), then
    linear, time decay and the data-driven Markov and Shapley models. -#}
{% macro attribution_models() -%}
    {{ return(attribution_position_shares().keys() | list + ['linear', 'time_decay', 'markov', 'shapley']) }}
{%- endmacro %}

{#- var attribution_position_shares, checked: each model's shares name known key points (or
    middle), none is negative, and they add up to 1. -#}
{% macro attribution_position_shares() -%}
    {%- set key_points = ['first_interaction', 'lead_creation', 'deal_creation', 'closed_won', 'middle'] -%}
    {%- set shares = var('attribution_position_shares') -%}
    {%- for model, model_shares in shares.items() -%}
        {%- for point, share in model_shares.items() -%}
            {%- if point not in key_points -%}
                {{ exceptions.raise_compiler_error(
                    "var attribution_position_shares: model " ~ model ~ " names key point '"
                    ~ point ~ "': use one of " ~ key_points | join(', ')) }}
            {%- endif -%}
            {%- if share < 0 -%}
                {{ exceptions.raise_compiler_error(
                    "var attribution_position_shares: model " ~ model ~ " gives " ~ point
                    ~ " a negative share (" ~ share ~ ")") }}
            {%- endif -%}
        {%- endfor -%}
        {%- set total = model_shares.values() | sum -%}
        {%- if (total - 1) | abs > 0.000001 -%}
            {{ exceptions.raise_compiler_error(
                "var attribution_position_shares: the shares of model " ~ model ~ " add up to "
                ~ total ~ ", not 1") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(shares) }}
{%- endmacro %}

{#- "1 touch", "3 touches": a count of touches in an attribution rule's words. -#}
{% macro touches_phrase(count_expression) -%}
    cast({{ count_expression }} as {{ dbt.type_string() }})
    || case when {{ count_expression }} = 1 then ' touch' else ' touches' end
{%- endmacro %}

{#- A share as attribution rules print it: 0.225 -> "22.5%". -#}
{% macro percent(share) -%}
    {{ "%g" | format(share * 100) }}%
{%- endmacro %}

{#- One row per attribution model (column `model`), to cross join with. -#}
{% macro attribution_model_rows() -%}
    {%- for model in attribution_models() %}
        select '{{ model }}' as model
        {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}
