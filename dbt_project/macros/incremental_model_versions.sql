{#- An incremental model keeps the rows earlier builds wrote, so a change to its code would
    reach only the rows a run rebuilds, and a constraint added to its contract would never
    reach its table. The warehouse therefore records the version (code and constraints,
    below) each incremental model was last built with, and a run builds whole every
    incremental model whose version changed since, or was never recorded (a warehouse from
    before this bookkeeping): as with --full-refresh, into a new table that replaces the
    old one only once built, so a failed run keeps the old one. A change to a macro it
    calls is not seen: build such a model with --full-refresh. A model whose rows a whole
    build would not bring back (days of history outside a window) opts out with
    `meta: {rebuild_on_code_change: false}` and is only reported. -#}

{#- Where the versions are recorded. -#}
{% macro incremental_model_versions_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema='dbt_bookkeeping',
        identifier='incremental_model_versions')) }}
{%- endmacro %}

{#- The table of recorded versions, created on first use. -#}
{% macro incremental_model_versions_table() -%}
    {%- set versions = incremental_model_versions_relation() -%}
    {%- do run_query('create schema if not exists ' ~ versions.schema) -%}
    {%- do run_query('create table if not exists ' ~ versions
        ~ ' (unique_id varchar, checksum varchar, built_at timestamp)') -%}
    {{ return(versions) }}
{%- endmacro %}

{#- An incremental model's version: its code (dbt's checksum of the model file) and the
    constraints its contract puts on columns, which only a whole build adds to the table. -#}
{% macro incremental_model_version(node) -%}
    {%- set constrained = [] -%}
    {%- for column in node.columns.values() if column.constraints -%}
        {%- do constrained.append(column.name ~ ':'
            ~ column.constraints | map(attribute='type') | join(',')) -%}
    {%- endfor -%}
    {%- if constrained -%}
        {{ return(node.checksum.checksum ~ '+' ~ local_md5(constrained | join(';'))) }}
    {%- endif -%}
    {{ return(node.checksum.checksum) }}
{%- endmacro %}

{#- The version of an incremental model changed since its table was built (or was never
    recorded). -#}
{% macro code_changed_since_built(node) -%}
    {%- set versions = incremental_model_versions_relation() -%}
    {%- if adapter.get_relation(versions.database, versions.schema, versions.identifier) is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set recorded = run_query("select checksum from " ~ versions
        ~ " where unique_id = '" ~ node.unique_id ~ "'") -%}
    {{ return(recorded.rows | length == 0
        or recorded.rows[0][0] != incremental_model_version(node)) }}
{%- endmacro %}

{#- dbt's own, plus: an incremental model whose version changed is built whole, and so is
    one whose learned parameters are due to be learned again (macros/learned_parameters.sql). -#}
{% macro should_full_refresh() -%}
    {%- set full_refresh = config.get('full_refresh') -%}
    {%- if full_refresh is none -%}
        {%- set full_refresh = flags.FULL_REFRESH -%}
    {%- endif -%}
    {%- if not full_refresh and execute and model is defined
        and model.resource_type == 'model' and model.config.materialized == 'incremental' -%}
        {%- if model.config.meta.get('rebuild_on_code_change', true) -%}
            {%- set full_refresh = code_changed_since_built(model) -%}
        {%- endif -%}
        {%- if not full_refresh and model.config.meta.get('relearn') -%}
            {%- set built = adapter.get_relation(this.database, this.schema, this.identifier) -%}
            {%- set full_refresh = built is not none and learned_too_long_ago(model, built) -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(full_refresh) }}
{%- endmacro %}

{#- on-run-start: create the table, and say which selected incremental models are built
    whole for a change of code (or keep old rows despite one) or to learn again. -#}
{% macro report_incremental_models_built_whole() -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set versions = incremental_model_versions_table() -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.config.materialized == 'incremental'
            and node.unique_id in selected_resources
            and adapter.get_relation(node.database, node.schema, node.alias) is not none
            and code_changed_since_built(node) -%}
            {%- if node.config.meta.get('rebuild_on_code_change', true) -%}
                {{ log('Building ' ~ node.name ~ ' whole: its code or constraints changed '
                    ~ 'since its last build', info=true) }}
            {%- else -%}
                {{ log('The code or constraints of ' ~ node.name ~ ' changed since its last '
                    ~ 'build: the rows this run does not rebuild keep what the old code built',
                    info=true) }}
            {%- endif -%}
        {%- endfor -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.config.meta.get('relearn')
            and node.unique_id in selected_resources -%}
            {%- set built = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- if built is not none and learned_too_long_ago(node, built) -%}
                {{ log('Learning ' ~ node.name ~ ' again, from the data as of the as-of date: '
                    ~ 'it is due (every ' ~ node.config.meta.relearn.every_days ~ ' days), or '
                    ~ 'was learned for another date or with other settings', info=true) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- on-run-end: record the version each incremental model was just built with. -#}
{% macro record_incremental_model_versions(results) -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set built = [] -%}
        {%- for result in results
            if result.node.resource_type == 'model' and result.status == 'success'
            and result.node.config.materialized == 'incremental' -%}
            {#- The graph's form of the node, as the comparisons at run start see it. -#}
            {%- do built.append(graph.nodes[result.node.unique_id]) -%}
        {%- endfor -%}
        {%- if built -%}
            {%- set versions = incremental_model_versions_table() -%}
            {%- set ids = built | map(attribute='unique_id') | join("', '") -%}
            {%- do run_query('delete from ' ~ versions ~ " where unique_id in ('" ~ ids ~ "')") -%}
            {%- set rows = [] -%}
            {%- for node in built -%}
                {%- do rows.append("('" ~ node.unique_id ~ "', '" ~ incremental_model_version(node) ~ "', "
                    ~ dbt.current_timestamp() ~ ")") -%}
            {%- endfor -%}
            {%- do run_query('insert into ' ~ versions ~ ' values ' ~ rows | join(', ')) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
