{#- For a model incremental by group (delete+insert on the group's key) whose rows carry
    `_inputs_fingerprint`, a hash of what the group's rows are built from: the CTEs
    `built` (each group's fingerprint as last built; none in a full build) and
    `groups_to_rebuild`, the groups of `inputs` (a CTE of the key and inputs_fingerprint)
    whose fingerprint changed, new groups included, and the groups built before that have
    no inputs now (inputs_fingerprint null). The model builds rows for those groups only,
    one row without data for a group with no inputs, which replaces its old rows and
    which a post-hook deletes. `first_row` picks one row per group of the model; without
    it, each group's distinct fingerprint is read from all of its rows. -#}
{% macro groups_to_rebuild(inputs, key, first_row=none) -%}
built as (
    {%- if is_incremental() %}
        select {{ 'distinct' if first_row is none }}
            {{ key }},
            _inputs_fingerprint
        from {{ this }}
        {%- if first_row is not none %}
            where {{ first_row }}
        {%- endif %}
    {%- else %}
        select
            {{ key }},
            inputs_fingerprint as _inputs_fingerprint
        from {{ inputs }}
        where false
    {%- endif %}
),

groups_to_rebuild as (
    select
        coalesce({{ inputs }}.{{ key }}, built.{{ key }}) as {{ key }},
        {{ inputs }}.inputs_fingerprint
    from {{ inputs }}
    full outer join built on {{ inputs }}.{{ key }} = built.{{ key }}
    where {{ inputs }}.inputs_fingerprint is distinct from built._inputs_fingerprint
)
{%- endmacro %}
