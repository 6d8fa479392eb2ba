{#- Data tests on the large incremental tables read only the rows they have not passed on.

    A daily build rewrites a small part of an incremental table (the groups whose inputs
    changed), yet a data test reads the whole table: at 1M deals the day's tests would read
    tens of millions of rows that earlier runs tested already. So these tables stamp each
    row they write with `_built_at` (the start of the run that wrote it), the warehouse
    records the start of the last run in which each data test passed with no failing row
    (dbt_bookkeeping.passed_data_tests, with what the test checks, so a changed test reads
    everything again), and a generic test on a table with `_built_at` reads:
    - a row-by-row test (below): the rows written since it last passed;
    - a uniqueness test: the rows whose key is among those, so each new key is checked
      against the whole table;
    - any other (relationships, whose parent can lose rows): every row.
    A test that never passed reads every row; one whose last run failed or warned reads
    what was written since its last pass, the failing rows among them; after a whole
    build every row is newer than any pass. `dbt test` alone reads as a build does. -#}

{#- The tests that look at one row at a time. -#}
{% macro row_by_row_tests() -%}
    {{ return(['not_null', 'accepted_values', 'accepted_range', 'expression_is_true',
        'not_in_future']) }}
{%- endmacro %}

{#- The value of `_built_at` in the rows this run writes. -#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- A data test's version: what it checks and where (dbt gives a generic test no checksum of
    its own). A change to a generic test's macro is not seen: delete the test's row from
    dbt_bookkeeping.passed_data_tests to have it read every row again. -#}
{% macro data_test_version(node) -%}
    {%- set test = node.get('test_metadata') or {} -%}
    {%- set checks = {'name': test.get('name'), 'kwargs': test.get('kwargs'),
        'where': node.config.get('where')} -%}
    {{ return(local_md5(tojson(checks, sort_keys=true))) }}
{%- endmacro %}

{#- Where the passes are recorded. -#}
{% macro passed_data_tests_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema='dbt_bookkeeping',
        identifier='passed_data_tests')) }}
{%- endmacro %}

{#- dbt's own, plus the narrowing above (the test node is `model` here). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set checked = relation -%}
    {%- set test = model.test_metadata if model is defined and model.test_metadata else none -%}
    {%- set passes = passed_data_tests_relation() -%}
    {#- Only incremental tables carry `_built_at`: the graph says so without a query, so the
        tests of the other models pay no look at their columns. -#}
    {%- set tested = graph.nodes.get(model.get('attached_node')) if execute and test else none -%}
    {%- if execute and test and test.name in ['unique', 'unique_combination_of_columns']
        + row_by_row_tests()
        and tested and tested.config.materialized == 'incremental'
        and adapter.get_relation(passes.database, passes.schema, passes.identifier) is not none
        and '_built_at' in adapter.get_columns_in_relation(relation) | map(attribute='name') -%}
        {#- With its last pass, the oldest row: when every row is newer (a whole build), the
            test reads them all as they are, with no join to its new rows' keys. -#}
        {%- set passed = run_query("select passed_through, (select min(_built_at) from "
            ~ relation ~ ") from " ~ passes ~ " where unique_id = '" ~ model.unique_id
            ~ "' and checksum = '" ~ data_test_version(model) ~ "'") -%}
        {%- if passed.rows | length > 0 and passed.rows[0][1] is not none
            and passed.rows[0][1] <= passed.rows[0][0] -%}
            {%- set since = "cast('" ~ passed.rows[0][0].strftime('%Y-%m-%d %H:%M:%S.%f')
                ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
            {%- if test.name == 'unique' -%}
                {%- set key = test.kwargs.column_name -%}
                {%- set checked -%}
                    (select * from {{ relation }} where {{ key }} in
                        (select {{ key }} from {{ relation }} where _built_at > {{ since }})) as new_keys
                {%- endset -%}
            {%- elif test.name == 'unique_combination_of_columns' -%}
                {%- set matches = [] -%}
                {%- for column in test.kwargs.combination_of_columns -%}
                    {%- do matches.append('new_row.' ~ column ~ ' is not distinct from checked.'
                        ~ column) -%}
                {%- endfor -%}
                {%- set checked -%}
                    (select * from {{ relation }} as checked where exists (
                        select 1 from {{ relation }} as new_row
                        where new_row._built_at > {{ since }} and {{ matches | join(' and ') }}
                    )) as new_keys
                {%- endset -%}
            {%- else -%}
                {%- set checked -%}
                    (select * from {{ relation }} where _built_at > {{ since }}) as new_rows
                {%- endset -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {{ return('(select * from ' ~ checked ~ ' where ' ~ where ~ ') dbt_subquery') }}
    {%- endif -%}
    {{ return(checked) }}
{%- endmacro %}

{#- on-run-end: record the data tests that passed with no failing row. -#}
{% macro record_passed_data_tests(results) -%}
    {%- if execute -%}
        {%- set passed = [] -%}
        {%- for result in results
            if result.node.resource_type == 'test' and result.status == 'pass'
            and not result.failures -%}
            {#- The graph's form of the node, as get_where_subquery sees it. -#}
            {%- do passed.append(graph.nodes[result.node.unique_id]) -%}
        {%- endfor -%}
        {%- if passed -%}
            {%- set passes = passed_data_tests_relation() -%}
            {%- do run_query('create schema if not exists ' ~ passes.schema) -%}
            {%- do run_query('create table if not exists ' ~ passes
                ~ ' (unique_id varchar, checksum varchar, passed_through timestamp)') -%}
            {%- set ids = passed | map(attribute='unique_id') | join("', '") -%}
            {%- do run_query('delete from ' ~ passes ~ " where unique_id in ('" ~ ids ~ "')") -%}
            {%- set rows = [] -%}
            {%- for node in passed -%}
                {%- do rows.append("('" ~ node.unique_id ~ "', '" ~ data_test_version(node)
                    ~ "', " ~ built_at() ~ ")") -%}
            {%- endfor -%}
            {%- do run_query('insert into ' ~ passes ~ ' values ' ~ rows | join(', ')) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
