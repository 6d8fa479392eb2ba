{#- Timestamps at or after the end of the run's as-of day fail: nothing in the warehouse
    may claim to have happened after the run's logical date. -#}
{% test not_in_future(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} >= {{ as_of_timestamp() }}
{% endtest %}
