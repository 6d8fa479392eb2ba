{#- How a web visit's UTM parameters become a channel, shared by sessions and by form
    submissions no session saw. utm_channel_matches: one row per row of `relation`
    (identified by `key_columns`) that a channel_mapping rule of source system 'web' on
    utm_medium matches, the preferred rule (one naming the utm_source beats the generic
    one) with preference 1; no row when no rule matches. -#}
{% macro utm_channel_matches(relation, key_columns) -%}
    select
        {%- for column in key_columns %}
            {{ relation }}.{{ column }},
        {%- endfor %}
        rules.channel,
        row_number() over (
            partition by {{ relation }}.{{ key_columns | join(', ' ~ relation ~ '.') }}
            order by case when rules.source_detail is null then 1 else 0 end
        ) as preference
    from {{ relation }}
    inner join {{ ref('channel_mapping') }} as rules
        on
            rules.source_system = 'web'
            and rules.source_field = 'utm_medium'
            and lower({{ relation }}.utm_medium) = rules.source_value
            and (
                rules.source_detail is null
                or lower({{ relation }}.utm_source) = rules.source_detail
            )
{%- endmacro %}

{#- The original UTM values beside a channel: "source / medium", lower-cased. -#}
{% macro utm_source_value(utm_source, utm_medium) -%}
    lower(coalesce({{ utm_source }}, '(none)') || ' / ' || coalesce({{ utm_medium }}, '(none)'))
{%- endmacro %}
