"""Same config => same bytes; each entity kind's randomness is its own."""

from pathlib import Path

import pyarrow.compute as pc
import pytest

from ingestion.simulator import WorldConfig, generate_world, read_table, touches, world
from ingestion.simulator import config as sim_config
from ingestion.simulator.__main__ import main

SMALL = WorldConfig(seed=3, n_deals=1200)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_config_gives_identical_bytes(tmp_path):
    a = generate_world(SMALL, tmp_path / "a")
    b = generate_world(SMALL, tmp_path / "b")
    assert a == b
    fa, fb = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert fa.keys() == fb.keys()
    assert [k for k in fa if fa[k] != fb[k]] == []


def test_different_seed_gives_a_different_world(tmp_path):
    generate_world(SMALL, tmp_path / "a")
    generate_world(WorldConfig(seed=4, n_deals=SMALL.n_deals), tmp_path / "b")
    for name in ("deals", "deal_property_history", "touches", "truth_deals"):
        assert not read_table(tmp_path / "a", name).equals(read_table(tmp_path / "b", name))


def test_malformed_rate_changes_only_the_malformed_fields(tmp_path):
    generate_world(SMALL, tmp_path / "a")
    generate_world(WorldConfig(seed=3, n_deals=1200, malformed_rate=0.03), tmp_path / "b")
    fa, fb = _files(tmp_path / "a"), _files(tmp_path / "b")
    changed = {k.split("/part-")[0] for k in fa if fa[k] != fb[k]}
    assert changed == {"hubspot/deals", "ground_truth/deals"}
    da, db = read_table(tmp_path / "a", "deals"), read_table(tmp_path / "b", "deals")
    assert da.drop(["amount", "createdate"]).equals(db.drop(["amount", "createdate"]))
    ta, tb = read_table(tmp_path / "a", "truth_deals"), read_table(tmp_path / "b", "truth_deals")
    flags = ["is_malformed", "malformed_field"]
    assert ta.drop(flags).equals(tb.drop(flags))
    assert pc.sum(tb["is_malformed"]).as_py() > pc.sum(ta["is_malformed"]).as_py()


def test_activity_rate_scales_only_the_activities(tmp_path):
    generate_world(SMALL, tmp_path / "a")
    generate_world(WorldConfig(seed=3, n_deals=1200, activity_rate=1.6), tmp_path / "b")
    fa, fb = _files(tmp_path / "a"), _files(tmp_path / "b")
    changed = {k.split("/part-")[0] for k in fa if fa[k] != fb[k]}
    assert changed == {"hubspot/engagements", "ground_truth/deals", "manifest.json"}
    ta, tb = read_table(tmp_path / "a", "truth_deals"), read_table(tmp_path / "b", "truth_deals")
    assert ta.drop(["n_activities"]).equals(tb.drop(["n_activities"]))
    ratio = pc.sum(tb["n_activities"]).as_py() / pc.sum(ta["n_activities"]).as_py()
    assert 1.5 < ratio < 1.7  # tasks still to do on open deals do not scale


def test_visitor_volume_changes_only_touches(tmp_path, monkeypatch):
    generate_world(SMALL, tmp_path / "a")
    monkeypatch.setattr(touches, "VISITORS_PER_DEAL", 3.0)
    generate_world(SMALL, tmp_path / "b")
    fa, fb = _files(tmp_path / "a"), _files(tmp_path / "b")
    changed = {k.split("/part-")[0] for k in fa if fa[k] != fb[k]}
    # The manifest counts rows; the form submissions' ground truth names touches by id.
    assert changed == {"marketing/touches", "ground_truth/form_submissions", "manifest.json"}

    def people_touches(root: Path):
        t = read_table(root, "touches").drop(["touch_id"])
        t = t.filter(pc.is_valid(t["contact_id"]))
        return t.sort_by([("contact_id", "ascending"), ("occurred_at", "ascending")])

    assert people_touches(tmp_path / "a").equals(people_touches(tmp_path / "b"))


def test_chunks_write_numbered_parts_with_unique_ids(tmp_path, monkeypatch):
    monkeypatch.setattr(sim_config, "CHUNK_SIZE", 400)
    manifest = generate_world(WorldConfig(seed=5, n_deals=1000), tmp_path / "w")
    assert manifest["tables"]["deals"]["parts"] == 3
    assert manifest["tables"]["owners"]["parts"] == 1
    assert (tmp_path / "w/hubspot/deals/part-00002.parquet").exists()
    for name, column in [
        ("truth_deals", "deal_id"),
        ("truth_contacts", "contact_id"),
        ("companies", "id"),
        ("touches", "touch_id"),
        ("engagements", "id"),
    ]:
        ids = read_table(tmp_path / "w", name)[column]
        assert pc.count_distinct(ids).as_py() == len(ids), name
    assert len(read_table(tmp_path / "w", "truth_deals")) == 1000


def test_failed_generation_leaves_no_world(tmp_path, monkeypatch):
    def boom(*_args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(world, "build_chunk", boom)
    with pytest.raises(RuntimeError):
        generate_world(SMALL, tmp_path / "w")
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_a_folder_that_is_not_a_world(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate_world(SMALL, tmp_path / "w")


def test_regenerating_replaces_a_world(tmp_path):
    generate_world(WorldConfig(seed=1, n_deals=30), tmp_path / "w")
    manifest = generate_world(WorldConfig(seed=2, n_deals=40), tmp_path / "w")
    assert manifest["seed"] == 2
    assert len(read_table(tmp_path / "w", "truth_deals")) == 40


def test_tiny_world(tmp_path):
    manifest = generate_world(WorldConfig(seed=9, n_deals=1), tmp_path / "w")
    assert manifest["tables"]["truth_deals"]["rows"] == 1
    assert manifest["tables"]["companies"]["rows"] == 20
    assert manifest["tables"]["owners"]["rows"] == 8


def test_cli_prints_progress(tmp_path, capsys):
    main(["--deals", "50", "--seed", "3", "--out", str(tmp_path / "w")])
    out = capsys.readouterr().out
    assert "deals: chunk 1/1 (50 deals)" in out
    assert (tmp_path / "w" / "manifest.json").exists()
