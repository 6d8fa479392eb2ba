with source as (
    select * from {{ source('raw_csv', 'stage_history') }}
),

renamed as (
    select
        -- ids
        {{ source_key('csv', '_source_instance', 'deal_id') }} as deal_key,

        -- strings
        stage as stage_id,

        -- timestamps
        {{ parse_utc_timestamp('changed_at') }} as changed_at
    from source
)

select * from renamed
