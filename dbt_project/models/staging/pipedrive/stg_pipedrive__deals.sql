with source as (
    {{ current_versions(source('raw_pipedrive', 'deals'), ['id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('pipedrive', '_source_instance', 'id') }} as deal_key,
        'pipedrive' as source_system,
        _source_instance as source_instance,
        id as deal_id,
        pipeline_id,
        stage_id,
        {{ source_key('pipedrive', '_source_instance', 'owner_id') }} as owner_key,
        {{ source_key('pipedrive', '_source_instance', 'person_id') }} as contact_key,

        -- strings
        title as deal_name,
        upper(currency) as currency_code,
        lost_reason,
        -- Pipedrive's "Source channel": the marketing channel, an option of the account's
        -- own list (origin, beside it, says how the record was created, not where from).
        channel as source_channel,

        -- numbers
        cast(nullif(value, '') as {{ dbt.type_numeric() }}) as amount,

        -- booleans
        coalesce(lower(is_deleted) = 'true' or status = 'deleted', false) as is_deleted,
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('add_time') }} as created_at,
        {{ parse_utc_timestamp('expected_close_date') }} as close_date_at
    from source
)

select * from renamed
