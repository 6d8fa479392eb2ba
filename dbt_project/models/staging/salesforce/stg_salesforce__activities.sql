{#- Salesforce Task and Event records in the activities contract every CRM's staging model
    shares (int_activities unions them). A Task is a call, an email or a task by its
    TaskSubtype (else its Type), completed once closed; an Event is a meeting, completed
    once it has ended by the as-of date (Events have no status). The deal is the WhatId
    when it names an opportunity (006...), the contact the WhoId (a Contact or a Lead).
    Deleted and archived records come through queryAll: a deleted one is vanished. -#}
with tasks as (
    {{ current_versions(source('raw_salesforce', 'Task'), ['"Id"']) }}
),

events as (
    {{ current_versions(source('raw_salesforce', 'Event'), ['"Id"']) }}
),

renamed_tasks as (
    select
        -- ids
        {{ source_key('salesforce', '_source_instance', '"Id"') }} as activity_key,
        case
            when "WhatId" like '006%'
                then {{ source_key('salesforce', '_source_instance', '"WhatId"') }}
        end as deal_key,
        {{ source_key('salesforce', '_source_instance', '"WhoId"') }} as contact_key,
        {{ source_key('salesforce', '_source_instance', '"OwnerId"') }} as owner_key,

        -- strings
        case
            when lower("TaskSubtype") = 'call' or lower("Type") = 'call' then 'call'
            when lower("TaskSubtype") in ('email', 'listemail') or lower("Type") like '%email%'
                then 'email'
            when lower("Type") = 'meeting' then 'meeting'
            else 'task'
        end as activity_type,
        lower("Status") as activity_status,
        'salesforce' as source_system,

        -- booleans
        coalesce(lower("IsClosed") = 'true', false) as is_completed,
        coalesce(_vanished or lower("IsDeleted") = 'true', false) as is_vanished,

        -- load metadata: the raw version's place in its source's loads
        _load_sequence,

        -- timestamps: when completed, else when due (ActivityDate is a date)
        coalesce(
            case when lower("IsClosed") = 'true' then {{ parse_utc_timestamp('"CompletedDateTime"') }} end,
            {{ parse_utc_timestamp('"ActivityDate"') }},
            {{ parse_utc_timestamp('"CreatedDate"') }}
        ) as occurred_at
    from tasks
),

renamed_events as (
    select
        -- ids
        {{ source_key('salesforce', '_source_instance', '"Id"') }} as activity_key,
        case
            when "WhatId" like '006%'
                then {{ source_key('salesforce', '_source_instance', '"WhatId"') }}
        end as deal_key,
        {{ source_key('salesforce', '_source_instance', '"WhoId"') }} as contact_key,
        {{ source_key('salesforce', '_source_instance', '"OwnerId"') }} as owner_key,

        -- strings
        'meeting' as activity_type,
        cast(null as {{ dbt.type_string() }}) as activity_status,
        'salesforce' as source_system,

        -- booleans
        coalesce(
            {{ parse_utc_timestamp('"EndDateTime"') }} < {{ as_of_timestamp() }}, false
        ) as is_completed,
        coalesce(_vanished or lower("IsDeleted") = 'true', false) as is_vanished,

        -- load metadata: the raw version's place in its source's loads
        _load_sequence,

        -- timestamps: when it starts
        coalesce(
            {{ parse_utc_timestamp('"ActivityDateTime"') }},
            {{ parse_utc_timestamp('"ActivityDate"') }}
        ) as occurred_at
    from events
)

select * from renamed_tasks
union all
select * from renamed_events
