{#- The channel paths the data-driven models learn from, one row per conversion and distinct
    path, with how many deals converted along it and how many people walked it without
    converting. A path is the sequence of touch channels, consecutive repeats collapsed:
    - converting: a deal's path for the conversion (int_attribution_touches);
    - non-converting: the touches of a person with touches and no deal, within the lookback
      window counted back from their last touch; the same paths for both conversions.
    Aggregated by distinct path, so the Python model's work grows with the variety of
    journeys, not with the number of deals. Learned parameters: kept between relearnings
    (macros/learned_parameters.sql), as the credits learned from them are. -#}
{%- set lookback_days = var('attribution_lookback_days') %}
with converting_touches as (
    select
        conversion,
        deal_key as journey_key,
        path_position as position,
        channel
    from {{ ref('int_attribution_touches') }}
),

dealless_touches as (
    select
        person_key,
        touch_key,
        occurred_at,
        channel,
        max(occurred_at) over (partition by person_key) as last_touch_at
    from {{ ref('int_marketing_touches') }}
    where
        occurred_at < {{ as_of_timestamp() }}
        and person_key not in (select paths.person_key from {{ ref('int_deal_touch_paths') }} as paths)
),

non_converting_touches as (
    select
        person_key as journey_key,
        row_number() over (partition by person_key order by occurred_at, touch_key) as position,
        channel
    from dealless_touches
    {%- if lookback_days is not none %}
        where
            occurred_at
            >= {{ dbt.dateadd('day', -1 * lookback_days | int, 'last_touch_at') }}
    {%- endif %}
),

journeys as (
    select
        conversion,
        journey_key,
        position,
        channel,
        true as converted
    from converting_touches
    union all
    select
        conversions.conversion,
        touches.journey_key,
        touches.position,
        touches.channel,
        false as converted
    from non_converting_touches as touches
    cross join (select 'pipeline' as conversion union all select 'revenue' as conversion) as conversions
),

collapsed as (
    select
        *,
        lag(channel) over (
            partition by conversion, converted, journey_key order by position
        ) as previous_channel
    from journeys
),

paths as (
    select
        conversion,
        journey_key,
        converted,
        {{ dbt.listagg('channel', "' > '", 'order by position') }} as channel_path
    from collapsed
    where previous_channel is null or previous_channel <> channel
    group by conversion, journey_key, converted
)

select
    conversion,
    channel_path,
    sum(case when converted then 1 else 0 end) as conversions,
    sum(case when converted then 0 else 1 end) as non_conversions,
    {{ learned_parameters_columns() }}
from paths
{{- learned_parameters_kept() }}
group by conversion, channel_path
