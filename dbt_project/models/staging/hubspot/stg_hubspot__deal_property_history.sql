{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    meta={'watermark': 'raw_load_sequence'},
) }}
{#- A table, appended by raw load: a history entry never changes once written (raw keeps
    each once, however often it is read), so a daily build adds only the entries of the
    loads since its last build, where a view parsed every timestamp again for each reader
    and test. _load_sequence is that bookkeeping. -#}
with source as (
    select * from {{ source('raw_hubspot', 'deal_property_history') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        -- ids
        {{ source_key('hubspot', '_source_instance', 'deal_id') }} as deal_key,
        updated_by_user_id,

        -- strings
        property as property_name,
        value as property_value,
        source_type as change_source,

        -- timestamps
        {{ parse_utc_timestamp('"timestamp"') }} as changed_at,

        -- bookkeeping
        _load_sequence,
        {{ built_at() }} as _built_at
    from source
)

select * from renamed
