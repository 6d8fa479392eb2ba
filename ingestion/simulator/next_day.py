"""One more day of CRM changes on top of a generated world, for incremental builds.

A daily run lands what changed in the CRM since the day before: a few new deals, stage,
amount and close-date edits on open deals, deletions, merges, new activities and form
submissions, leads qualified as MQLs, new contacts and a deleted one. This writes a copy
of a world's HubSpot folder with exactly such a day applied, so landing it with the
ordinary loader (``land_demo_world``) adds new raw versions for the changed records only.
Objects the day leaves alone are linked, not copied, which keeps a 1M-deal day cheap on
disk. Every pick is by a hash of the record id, so one world always gives the same day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

# A day holds about 1/730 of the deals created (the simulator spreads them over two years).
DAYS_OF_DEALS = 730
ACTIVITIES_PER_NEW_DEAL = 12
DELETED_DEALS = 2
MERGED_DEALS = 2
DELETED_ACTIVITIES = 3
DELETED_CONTACTS = 1
REWRITTEN = ("deals", "deal_contacts", "deal_companies", "engagements", "contacts")
APPENDED = ("deal_property_history", "form_submissions")


@dataclass(frozen=True)
class NextDay:
    """What a written day holds: its date and the deal ids each kind of change touched."""

    day: date
    new_deal_ids: list[str]
    edited_deal_ids: list[str]
    deleted_deal_ids: list[str]
    merged_deal_ids: dict[str, str]  # merged-away deal -> survivor
    new_activities: int
    deleted_activity_ids: list[str]
    qualified_contact_ids: list[str]  # leads that became MQLs today
    new_contact_ids: list[str]
    deleted_contact_ids: list[str]


def _parquet(folder: Path) -> str:
    return "read_parquet('" + str(folder / "*.parquet").replace("'", "''") + "')"


def write_next_day(world_dir: Path, out_dir: Path) -> NextDay:
    """Write ``out_dir``: ``world_dir`` one day later (manifest end date + 1)."""
    manifest = json.loads((world_dir / "manifest.json").read_text())
    day = date.fromisoformat(manifest["end_date"]) + timedelta(days=1)
    out_dir.mkdir(parents=True)
    manifest["end_date"] = day.isoformat()
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    for entry in world_dir.iterdir():
        if entry.name not in ("manifest.json", "hubspot"):
            (out_dir / entry.name).symlink_to(entry.resolve())

    source = world_dir / "hubspot"
    target = out_dir / "hubspot"
    target.mkdir()
    con = duckdb.connect()
    con.execute(f"set variable day = '{day.isoformat()}'")
    for name in ("deals", "deal_contacts", "deal_companies"):
        con.execute(f"create table {name} as select * from {_parquet(source / name)}")
    # Property history and form submissions only grow: the day's rows go to a file of their
    # own beside the world's (linked), so the largest table is never read whole.
    for name in APPENDED:
        con.execute(f"create table {name} as select * from {_parquet(source / name)} limit 0")
    con.execute(f"create table engagements as select * from {_parquet(source / 'engagements')}")
    con.execute(f"create view stages as select * from {_parquet(source / 'pipeline_stages')}")
    con.execute(f"create table contacts as select * from {_parquet(source / 'contacts')}")

    n_deals = con.execute("select count(*) from deals").fetchone()[0]
    per_day = max(2, n_deals // DAYS_OF_DEALS)
    # Open deals ordered by a hash of their id: the day's picks come off this list in turn.
    con.execute(
        """create table open_deals as
        select d.id, d.pipeline, d.dealstage, row_number() over (order by md5(d.id)) as pick
        from deals as d
        inner join stages as s on d.pipeline = s.pipeline_id and d.dealstage = s.stage_id
        where s.is_closed = 'false' and d.hs_merged_object_ids is null"""
    )

    def picks(first: int, count: int) -> list[str]:
        return [
            row[0]
            for row in con.execute(
                "select id from open_deals where pick between ? and ? order by pick",
                [first, first + count - 1],
            ).fetchall()
        ]

    edited = picks(1, 3 * per_day)
    deleted = picks(3 * per_day + 1, DELETED_DEALS)
    merged_away = picks(3 * per_day + DELETED_DEALS + 1, MERGED_DEALS)
    survivors = picks(3 * per_day + DELETED_DEALS + MERGED_DEALS + 1, MERGED_DEALS)
    templates = picks(3 * per_day + DELETED_DEALS + 2 * MERGED_DEALS + 1, per_day)
    max_deal_id = con.execute("select max(cast(id as bigint)) from deals").fetchone()[0]
    new_ids = [str(max_deal_id + number) for number in range(1, per_day + 1)]

    con.execute("create table new_deal_ids (id varchar, template_id varchar)")
    con.executemany(
        "insert into new_deal_ids values (?, ?)", list(zip(new_ids, templates, strict=True))
    )
    con.execute("create table edited_ids as select unnest(?::varchar[]) as id", [edited])
    # Each edited deal gets one kind of edit, in turn: next stage, a new amount, a later close.
    con.execute(
        """create table edits as
        select
            e.id,
            (row_number() over (order by md5(e.id))) % 3 as kind,
            next_stage.stage_id as next_stage,
            format('{:.2f}', coalesce(try_cast(d.amount as double), 1000) * 1.15) as new_amount,
            strftime(cast(getvariable('day') as date) + interval 45 day, '%Y-%m-%dT17:00:00.000Z')
                as new_close
        from edited_ids as e
        inner join deals as d on e.id = d.id
        inner join stages as current_stage
            on d.pipeline = current_stage.pipeline_id and d.dealstage = current_stage.stage_id
        inner join stages as next_stage
            on d.pipeline = next_stage.pipeline_id
            and next_stage.stage_display_order = current_stage.stage_display_order + 1"""
    )
    edit_time = f"{day.isoformat()}T12:00:00.000Z"
    con.execute(
        f"""update deals set
            dealstage = case when edits.kind = 0 then edits.next_stage else deals.dealstage end,
            amount = case when edits.kind = 1 then edits.new_amount else deals.amount end,
            closedate = case when edits.kind = 2 then edits.new_close else deals.closedate end,
            hs_lastmodifieddate = '{edit_time}'
        from edits where deals.id = edits.id"""
    )
    con.execute(
        f"""insert into deal_property_history by name
        select
            id as deal_id,
            case kind when 0 then 'dealstage' when 1 then 'amount' else 'closedate' end
                as property,
            case kind when 0 then next_stage when 1 then new_amount else new_close end as value,
            '{edit_time}' as "timestamp",
            'CRM_UI' as source_type
        from edits"""
    )

    # New deals: copies of open deals, created today in their template's stage.
    con.execute(
        f"""insert into deals by name
        select d.* replace (
            n.id as id,
            d.dealname || ' (renewal)' as dealname,
            '{day.isoformat()}T10:00:00.000Z' as createdate,
            '{day.isoformat()}T10:00:00.000Z' as hs_lastmodifieddate,
            null as hs_merged_object_ids)
        from deals as d inner join new_deal_ids as n on d.id = n.template_id"""
    )
    con.execute(
        f"""insert into deal_property_history by name
        select n.id as deal_id, p.property, p.value,
            '{day.isoformat()}T10:00:00.000Z' as "timestamp", 'CRM_UI' as source_type
        from new_deal_ids as n
        inner join deals as d on n.id = d.id,
        lateral (values
            ('dealstage', d.dealstage), ('amount', d.amount), ('closedate', d.closedate),
            ('hubspot_owner_id', d.hubspot_owner_id)) as p(property, value)"""
    )
    for association in ("deal_contacts", "deal_companies"):
        con.execute(
            f"""insert into {association} by name
            select a.* replace (n.id as deal_id)
            from {association} as a inner join new_deal_ids as n on a.deal_id = n.template_id"""
        )

    # Merges: the survivor lists the merged-away id; the merged-away deal leaves the listing
    # with its associations, as deleted deals do. Their activities stay on their old id.
    gone = deleted + merged_away
    con.execute("create table gone_ids as select unnest(?::varchar[]) as id", [gone])
    for loser, survivor in zip(merged_away, survivors, strict=True):
        con.execute(
            """update deals set hs_merged_object_ids = ?, hs_lastmodifieddate = ?
            where id = ?""",
            [loser, edit_time, survivor],
        )
    con.execute("delete from deals where id in (select id from gone_ids)")
    for association in ("deal_contacts", "deal_companies"):
        con.execute(f"delete from {association} where deal_id in (select id from gone_ids)")

    # Activities: the day's share of every open deal's activities, spread over open deals and
    # the new ones, plus a few open tasks completed today.
    n_activities = max(10, per_day * ACTIVITIES_PER_NEW_DEAL)
    max_engagement = con.execute("select max(cast(id as bigint)) from engagements").fetchone()[0]
    con.execute(
        f"""insert into engagements by name
        with targets as (
            select id as deal_id, row_number() over (order by md5(id || 'activity')) as pick
            from open_deals where id not in (select id from gone_ids)
            union all
            select id, -row_number() over (order by id) from new_deal_ids
        ),
        numbered as (
            select
                number,
                (select count(*) from targets) as n_targets,
                ['CALL', 'EMAIL', 'NOTE', 'TASK', 'MEETING'][number % 5 + 1] as type
            from range(1, {n_activities} + 1) as r(number)
        )
        select
            cast({max_engagement} + numbered.number as varchar) as id,
            numbered.type,
            strftime(
                timestamp '{day.isoformat()} 08:00:00' + to_seconds(numbered.number * 7 % 36000),
                '%Y-%m-%dT%H:%M:%S.000Z') as "timestamp",
            d.hubspot_owner_id as owner_id,
            t.deal_id,
            case numbered.type when 'NOTE' then null when 'EMAIL' then 'SENT' else 'COMPLETED' end
                as status
        from numbered
        inner join (
            select deal_id, row_number() over (order by pick) as slot from targets
        ) as t on (numbered.number % numbered.n_targets) + 1 = t.slot
        inner join deals as d on t.deal_id = d.id"""
    )
    con.execute(
        f"""update engagements set status = 'COMPLETED', "timestamp" = '{edit_time}'
        where id in (
            select id from engagements where type = 'TASK' and status = 'NOT_STARTED'
            order by md5(id) limit {per_day})"""
    )
    deleted_activities = [
        row[0]
        for row in con.execute(
            f"""select id from engagements where cast(id as bigint) <= {max_engagement}
            order by md5(id || 'deleted') limit {DELETED_ACTIVITIES}"""
        ).fetchall()
    ]
    con.execute(
        "delete from engagements where id in (select unnest(?::varchar[]))", [deleted_activities]
    )

    n_forms = max(2, n_deals // DAYS_OF_DEALS * 2)
    day_start_ms = (day - date(1970, 1, 1)).days * 86_400_000
    forms = _parquet(source / "form_submissions")
    con.execute(
        f"""insert into form_submissions by name
        select
            md5('{day.isoformat()}' || c.id) as conversion_id,
            (select min(form_id) from {forms}) as form_id,
            cast({day_start_ms} + row_number() over () * 60000 as varchar) as submitted_at,
            'https://www.funnelhouse.example/contact' as page_url,
            c.email,
            c.firstname,
            c.lastname
        from (select * from contacts order by md5(id) limit {n_forms}) as c"""
    )

    qualified, new_contacts, deleted_contacts = _change_contacts(con, day, per_day)

    # Named by the day, so a day's folder can be the world of the next one.
    part = f"part-{day.isoformat()}.parquet"
    for name in REWRITTEN + APPENDED:
        (target / name).mkdir()
        con.execute(f"copy {name} to '{target / name / part}' (format parquet)")
    for name in APPENDED:
        for earlier in (source / name).glob("*.parquet"):
            (target / name / earlier.name).symlink_to(earlier.resolve())
    for entry in source.iterdir():
        if entry.name not in REWRITTEN + APPENDED:
            (target / entry.name).symlink_to(entry.resolve())
    con.close()
    return NextDay(
        day=day,
        new_deal_ids=new_ids,
        edited_deal_ids=edited,
        deleted_deal_ids=deleted,
        merged_deal_ids=dict(zip(merged_away, survivors, strict=True)),
        new_activities=n_activities,
        deleted_activity_ids=deleted_activities,
        qualified_contact_ids=qualified,
        new_contact_ids=new_contacts,
        deleted_contact_ids=deleted_contacts,
    )


def _change_contacts(
    con: duckdb.DuckDBPyConnection, day: date, per_day: int
) -> tuple[list[str], list[str], list[str]]:
    """The day's contact changes: leads qualified as MQLs, new leads (copies of existing
    contacts with an address of their own), and contacts deleted with their deal links."""
    stamp = f"{day.isoformat()}T09:00:00.000Z"

    def ids(sql: str, parameters: list | None = None) -> list[str]:
        return [row[0] for row in con.execute(sql, parameters).fetchall()]

    qualified = ids(
        f"""select id from contacts where lifecyclestage = 'lead'
        order by md5(id || 'qualified') limit {per_day}"""
    )
    con.execute(
        """update contacts set
            lifecyclestage = 'marketingqualifiedlead',
            hs_lifecyclestage_marketingqualifiedlead_date = ?, lastmodifieddate = ?
        where id in (select unnest(?::varchar[]))""",
        [stamp, stamp, qualified],
    )
    max_contact = con.execute("select max(cast(id as bigint)) from contacts").fetchone()[0]
    new_contacts = [str(max_contact + number) for number in range(1, per_day + 1)]
    con.execute(
        """insert into contacts by name
        select c.* replace (
            n.id as id,
            n.id || '@new-leads.example' as email,
            'lead' as lifecyclestage,
            ? as createdate, ? as lastmodifieddate, ? as hs_lifecyclestage_lead_date,
            null as hs_lifecyclestage_marketingqualifiedlead_date,
            null as hs_lifecyclestage_salesqualifiedlead_date,
            null as hs_lifecyclestage_opportunity_date,
            null as hs_lifecyclestage_customer_date,
            null as hs_merged_object_ids)
        from (select * from contacts order by md5(id || 'template') limit ?) as c
        positional join (select unnest(?::varchar[]) as id) as n""",
        [stamp, stamp, stamp, per_day, new_contacts],
    )
    deleted = ids(
        f"""select id from contacts
        where hs_merged_object_ids is null and id not in (select unnest(?::varchar[]))
        order by md5(id || 'deleted') limit {DELETED_CONTACTS}""",
        [qualified + new_contacts],
    )
    con.execute("delete from contacts where id in (select unnest(?::varchar[]))", [deleted])
    con.execute(
        "delete from deal_contacts where contact_id in (select unnest(?::varchar[]))", [deleted]
    )
    return qualified, new_contacts, deleted
