{#- Every recorded value of a tracked deal property up to the as-of time, for every source:
    the one input from which stage history and point-in-time state are rebuilt. -#}
with hubspot_deals as (
    select
        deal_key,
        source_system,
        pipeline_id
    from {{ ref('stg_hubspot__deals') }}
),

hubspot_changes as (
    select
        history.deal_key,
        deals.source_system,
        deals.pipeline_id,
        history.property_name,
        history.property_value,
        history.changed_at
    from {{ ref('stg_hubspot__deal_property_history') }} as history
    -- Deals that were quarantined at load have no staged row, so their history stays out too.
    inner join hubspot_deals as deals on history.deal_key = deals.deal_key
)

select * from hubspot_changes
where changed_at < {{ as_of_timestamp() }}
