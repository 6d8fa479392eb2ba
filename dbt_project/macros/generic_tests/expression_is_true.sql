{#- Rows where `expression` is not true fail (use the `where` config to narrow them). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
