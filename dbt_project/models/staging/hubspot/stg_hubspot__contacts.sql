{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='contact_key',
    on_schema_change='fail',
    meta={'watermark': 'raw_load_sequence'},
) }}
{#- A table, incremental by raw load (current_versions), as stg_hubspot__activities: there
    are more contacts than deals, and a view would rank all their versions and parse their
    six timestamps again for each of its readers (contacts, emails, identity stitching)
    and tests; a daily build ranks only the day's versions. -#}
with source as (
    {{ current_versions(source('raw_hubspot', 'contacts'), ['id']) }}
),

renamed as (
    select
        -- ids
        {{ source_key('hubspot', '_source_instance', 'id') }} as contact_key,
        'hubspot' as source_system,
        _source_instance as source_instance,
        id as contact_id,
        {{ source_key('hubspot', '_source_instance', 'associatedcompanyid') }} as company_key,

        -- strings
        lower(nullif(trim(email), '')) as email,
        lifecyclestage as lifecycle_stage,
        nullif(trim(hs_analytics_source), '') as original_source,
        nullif(trim(hs_analytics_source_data_1), '') as original_source_detail_1,
        nullif(trim(hs_analytics_source_data_2), '') as original_source_detail_2,
        nullif(trim(hs_latest_source), '') as latest_source,
        hs_merged_object_ids as merged_contact_ids,

        -- booleans
        coalesce(archived, false) as is_archived,
        _vanished as is_vanished,

        -- timestamps
        {{ parse_utc_timestamp('createdate') }} as created_at,
        {{ parse_utc_timestamp('hs_lifecyclestage_lead_date') }} as became_lead_at,
        {{ parse_utc_timestamp('hs_lifecyclestage_marketingqualifiedlead_date') }}
            as became_mql_at,
        {{ parse_utc_timestamp('hs_lifecyclestage_salesqualifiedlead_date') }} as became_sql_at,
        {{ parse_utc_timestamp('hs_lifecyclestage_opportunity_date') }}
            as became_opportunity_at,
        {{ parse_utc_timestamp('hs_lifecyclestage_customer_date') }} as became_customer_at,

        -- load metadata: the raw version's place in its source's loads
        _load_sequence,
        {{ built_at() }} as _built_at
    from source
)

select * from renamed
