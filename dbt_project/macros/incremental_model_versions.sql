{#- An incremental model keeps the rows earlier builds wrote, so a change to its code would
    reach only the rows a run rebuilds. The warehouse therefore records the code (dbt's
    checksum of the model file) each incremental model was last built with, and a run
    drops, before building, every selected incremental model whose code changed since, or
    whose code was never recorded (a warehouse from before this bookkeeping): dbt then
    builds it whole. A change to a macro it calls is not seen: build such a model with
    --full-refresh. A model whose rows a whole build would not bring back (days of history
    outside a window) opts out with `meta: {rebuild_on_code_change: false}` and is only
    reported. -#}

{#- The table of recorded versions, created on first use. -#}
{% macro incremental_model_versions_table() -%}
    {%- set versions = api.Relation.create(database=target.database, schema='dbt_bookkeeping',
        identifier='incremental_model_versions') -%}
    {%- do run_query('create schema if not exists ' ~ versions.schema) -%}
    {%- do run_query('create table if not exists ' ~ versions
        ~ ' (unique_id varchar, checksum varchar, built_at timestamp)') -%}
    {{ return(versions) }}
{%- endmacro %}

{% macro selected_incremental_models() -%}
    {%- set models = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.config.materialized == 'incremental'
            and node.unique_id in selected_resources -%}
            {%- do models.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(models) }}
{%- endmacro %}

{#- on-run-start: drop the selected incremental models whose code changed. -#}
{% macro drop_incremental_models_whose_code_changed() -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set versions = incremental_model_versions_table() -%}
        {%- set recorded = {} -%}
        {%- for row in run_query('select unique_id, checksum from ' ~ versions) -%}
            {%- do recorded.update({row[0]: row[1]}) -%}
        {%- endfor -%}
        {%- for node in selected_incremental_models() -%}
            {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- if relation is not none and recorded.get(node.unique_id) != node.checksum.checksum -%}
                {%- if node.config.meta.get('rebuild_on_code_change', true) -%}
                    {{ log('Building ' ~ node.name ~ ' whole: its code changed since its last build',
                        info=true) }}
                    {%- do adapter.drop_relation(relation) -%}
                {%- else -%}
                    {{ log('The code of ' ~ node.name ~ ' changed since its last build: the rows '
                        ~ 'this run does not rebuild keep what the old code built', info=true) }}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- on-run-end: record the code each incremental model was just built with. -#}
{% macro record_incremental_model_versions(results) -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set built = [] -%}
        {%- for result in results
            if result.node.resource_type == 'model' and result.status == 'success'
            and result.node.config.materialized == 'incremental' -%}
            {%- do built.append(result.node) -%}
        {%- endfor -%}
        {%- if built -%}
            {%- set versions = incremental_model_versions_table() -%}
            {%- set ids = built | map(attribute='unique_id') | join("', '") -%}
            {%- do run_query('delete from ' ~ versions ~ " where unique_id in ('" ~ ids ~ "')") -%}
            {%- set rows = [] -%}
            {%- for node in built -%}
                {%- do rows.append("('" ~ node.unique_id ~ "', '" ~ node.checksum.checksum ~ "', "
                    ~ dbt.current_timestamp() ~ ")") -%}
            {%- endfor -%}
            {%- do run_query('insert into ' ~ versions ~ ' values ' ~ rows | join(', ')) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
