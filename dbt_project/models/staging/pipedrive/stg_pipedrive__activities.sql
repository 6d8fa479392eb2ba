{#- Pipedrive activities in the activities contract every CRM's staging model shares
    (int_activities unions them). Pipedrive's own types map to the shared ones (a lunch is
    a meeting, a deadline a task); a custom type counts as a task. An activity is completed
    when marked done, and happened then; until done it is due at its due date and time
    (UTC). A deleted activity lists with is_deleted: it is vanished. Pipedrive notes are
    not activities, so there are none here. -#}
with source as (
    {{ current_versions(source('raw_pipedrive', 'activities'), ['id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('pipedrive', '_source_instance', 'id') }} as activity_key,
        {{ source_key('pipedrive', '_source_instance', 'deal_id') }} as deal_key,
        {{ source_key('pipedrive', '_source_instance', 'person_id') }} as contact_key,
        {{ source_key('pipedrive', '_source_instance', 'owner_id') }} as owner_key,

        -- strings
        case
            when lower(type) in ('call', 'email', 'meeting', 'task') then lower(type)
            when lower(type) = 'lunch' then 'meeting'
            else 'task'
        end as activity_type,
        case when lower(done) = 'true' then 'done' else 'open' end as activity_status,
        'pipedrive' as source_system,

        -- booleans
        coalesce(lower(done) = 'true', false) as is_completed,
        coalesce(_vanished or lower(is_deleted) = 'true', false) as is_vanished,

        -- load metadata: the raw version's place in its source's loads
        _load_sequence,

        -- timestamps
        coalesce(
            case when lower(done) = 'true' then {{ parse_utc_timestamp('marked_as_done_time') }} end,
            {{ parse_utc_timestamp("due_date || ' ' || coalesce(nullif(due_time, ''), '00:00')") }},
            {{ parse_utc_timestamp('add_time') }}
        ) as occurred_at
    from source
)

select * from renamed
