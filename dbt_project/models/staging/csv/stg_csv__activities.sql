{#- Exported activities in the activities contract every CRM's staging model shares
    (int_activities unions them). The mapping relabels the export's types; common
    synonyms are understood here too, anything else counts as a task. Completed: the
    export's done flag, else a completion time, else a status that is not still to do
    (no status: done, like a note). It happened when completed, else when dated. -#}
with source as (
    {{ current_versions(source('raw_csv', 'activities'), ['activity_id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('csv', '_source_instance', 'activity_id') }} as activity_key,
        {{ source_key('csv', '_source_instance', 'deal_id') }} as deal_key,
        {{ source_key('csv', '_source_instance', 'contact_id') }} as contact_key,
        {{ source_key('csv', '_source_instance', 'owner') }} as owner_key,

        -- strings
        case
            when lower(trim(type)) in ('call', 'email', 'meeting', 'note', 'task')
                then lower(trim(type))
            when lower(trim(type)) in ('phone call', 'phone', 'logged call') then 'call'
            when lower(trim(type)) in ('e-mail', 'mail') then 'email'
            when lower(trim(type)) in ('event', 'lunch', 'demo', 'visit') then 'meeting'
            when lower(trim(type)) in ('comment', 'memo') then 'note'
            else 'task'
        end as activity_type,
        lower(trim(status)) as activity_status,
        'csv' as source_system,

        -- booleans
        case
            when lower(trim(done)) in ('true', 'yes', 'y', '1', 'done') then true
            when lower(trim(done)) in ('false', 'no', 'n', '0') then false
            when completed_at is not null then true
            else coalesce(
                lower(trim(status)) not in (
                    'not started', 'not_started', 'open', 'to do', 'todo', 'planned',
                    'scheduled', 'in progress', 'in_progress', 'waiting', 'deferred',
                    'pending'
                ),
                true
            )
        end as is_completed,
        _vanished as is_vanished,

        -- load metadata: the raw version's place in its source's loads
        _load_sequence,

        -- timestamps
        coalesce(
            {{ parse_utc_timestamp('completed_at') }},
            {{ parse_utc_timestamp('occurred_at') }}
        ) as occurred_at
    from source
)

select * from renamed
