{#- One row per owner of any CRM, as their latest version says: name, address, team.
    Marts name owners and their current team from here; a team at a past moment comes from
    int_owner_team_history. -#}
with ranked as (
    select
        *,
        row_number() over (partition by owner_key order by load_sequence desc) as version_rank
    from {{ ref('int_owner_versions') }}
)

select
    owner_key,
    source_system,
    source_instance,
    owner_id,
    owner_name,
    owner_email,
    team_key,
    team_name,
    is_archived
from ranked
where version_rank = 1
