{#- One row per owner x team spell: the owner's versions in landing order, consecutive
    ones in the same team collapsed. CRMs give no earlier history, so the first version
    seen holds from the beginning of time (valid_from null); a later team holds from the
    CRM's modification time of the version that first shows it (when the record was last
    changed before the sync that saw it), else from when that version was landed. -#}
with versions as (
    select
        owner_key,
        team_key,
        team_name,
        load_sequence,
        coalesce(modified_at, loaded_at) as changed_at,
        lag(team_key) over (partition by owner_key order by load_sequence) as previous_team_key,
        lag(team_name) over (partition by owner_key order by load_sequence) as previous_team_name,
        row_number() over (partition by owner_key order by load_sequence) as version_number
    from {{ ref('int_owner_versions') }}
),

spell_starts as (
    select
        owner_key,
        team_key,
        team_name,
        version_number,
        -- A CRM clock running backwards must not make spells overlap: a spell never starts
        -- before the one it follows.
        max(case when version_number > 1 then changed_at end) over (
            partition by owner_key order by version_number
            rows between unbounded preceding and current row
        ) as valid_from
    from versions
    where
        version_number = 1
        or team_key is distinct from previous_team_key
        or team_name is distinct from previous_team_name
)

select
    owner_key,
    row_number() over (partition by owner_key order by version_number) as spell_number,
    team_key,
    team_name,
    valid_from,
    lead(valid_from) over (partition by owner_key order by version_number) as valid_to
from spell_starts
