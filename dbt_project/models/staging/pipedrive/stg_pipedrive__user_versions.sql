{#- Every version of every Pipedrive user the syncs have seen, with their team: a user owns
    deals and activities, and their team is the legacy team listing them (the lowest team
    id where several do; none on a plan without teams). Membership lives on the team, not
    the user: a version is each load that landed the user, and each later load that landed
    a changed team, so a move between teams is a version of its own (its modified_at null:
    int_owner_team_history dates it by that load). A sync lands teams before users, so a
    user's version sees the teams of its own sync. -#}
with users as (
    select
        *,
        lead(_load_sequence) over (
            partition by _source_instance, id order by _load_sequence
        ) as next_load_sequence
    from {{ source('raw_pipedrive', 'users') }}
),

teams as (
    select
        _source_instance,
        id as team_id,
        nullif(trim(name), '') as team_name,
        replace(replace(users, '[', ''), ']', '') as member_ids,
        coalesce(lower(active_flag) not in ('false', '0'), true)
        and coalesce(lower(deleted_flag) not in ('true', '1'), true)
        and not _vanished as is_live,
        _load_sequence,
        _loaded_at,
        lead(_load_sequence) over (
            partition by _source_instance, id order by _load_sequence
        ) as next_load_sequence
    from {{ source('raw_pipedrive', 'teams') }}
),

team_members as (
    select
        _source_instance,
        team_id,
        team_name,
        _load_sequence,
        next_load_sequence,
        {{ split_to_rows('member_ids', ',') }} as member_id
    from teams
    where is_live
),

-- The loads a user's state is read at: their own versions, and later team changes.
moments as (
    select
        _source_instance,
        id as user_id,
        _load_sequence as load_sequence,
        _loaded_at as loaded_at
    from users

    union distinct

    select
        users._source_instance,
        users.id as user_id,
        teams._load_sequence as load_sequence,
        teams._loaded_at as loaded_at
    from users
    inner join teams
        on
            users._source_instance = teams._source_instance
            and teams._load_sequence > users._load_sequence
            and (users.next_load_sequence is null or teams._load_sequence < users.next_load_sequence)
),

-- Each live team listing the user at each moment, the lowest team id first.
teams_at_moments as (
    select
        moments._source_instance,
        moments.user_id,
        moments.load_sequence,
        team_members.team_id,
        team_members.team_name,
        row_number() over (
            partition by moments._source_instance, moments.user_id, moments.load_sequence
            order by team_members.team_id
        ) as team_rank
    from moments
    inner join team_members
        on
            moments._source_instance = team_members._source_instance
            and moments.user_id = trim(team_members.member_id)
            and team_members._load_sequence <= moments.load_sequence
            and (
                team_members.next_load_sequence is null
                or moments.load_sequence < team_members.next_load_sequence
            )
),

renamed as (
    select
        -- ids
        {{ source_key('pipedrive', 'users._source_instance', 'users.id') }} as owner_key,
        'pipedrive' as source_system,
        users._source_instance as source_instance,
        users.id as owner_id,
        {{ source_key('pipedrive', 'users._source_instance', 'teams_at_moments.team_id') }}
            as team_key,

        -- strings
        nullif(trim(users.name), '') as owner_name,
        users.email as owner_email,
        teams_at_moments.team_name,

        -- booleans
        coalesce(lower(users.active_flag) = 'false', false) or users._vanished as is_archived,
        users._vanished as is_vanished,

        -- timestamps: a team change's own moment has no modification time of the user's
        case
            when moments.load_sequence = users._load_sequence
                then {{ parse_utc_timestamp('users.modified') }}
        end as modified_at,

        -- versions
        moments.load_sequence,
        {{ tz_to_utc_timestamp('moments.loaded_at') }} as loaded_at
    from moments
    inner join users
        on
            moments._source_instance = users._source_instance
            and moments.user_id = users.id
            and users._load_sequence <= moments.load_sequence
            and (users.next_load_sequence is null or moments.load_sequence < users.next_load_sequence)
    left join teams_at_moments
        on
            moments._source_instance = teams_at_moments._source_instance
            and moments.user_id = teams_at_moments.user_id
            and moments.load_sequence = teams_at_moments.load_sequence
            and teams_at_moments.team_rank = 1
)

select * from renamed
