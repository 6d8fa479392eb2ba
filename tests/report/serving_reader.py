"""A BI tool's stand-in, run as its own process: reads the serving copy until told to stop.

    python serving_reader.py SERVING_DIR STOP_FILE loop|hold

`loop` reconnects for every read (as a dashboard refresh does); `hold` keeps one
read-only connection open the whole time. Every read checks that each mart holds the
rows its version's publication table records (one complete version, never a mix), and
the same for the Parquet version `current` points to. Prints a JSON summary at the end.
Tests start it through `Reader`.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb


class Reader:
    """This script in its own process, as a BI tool would be."""

    def __init__(self, serving_dir: Path, mode: str, stop: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, str(serving_dir), str(stop), mode],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def result(self) -> dict:
        out, _ = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, out
        return json.loads(out.strip().splitlines()[-1])


def check_database(con: duckdb.DuckDBPyConnection) -> tuple[str, list[str]]:
    rows = con.execute("select version, mart, row_count from main.publication").fetchall()
    versions = {version for version, _, _ in rows}
    problems = [] if len(versions) == 1 else [f"publication mixes versions {versions}"]
    for version, mart, expected in rows:
        actual = con.execute(f'select count(*) from marts."{mart}"').fetchone()[0]
        if actual != expected:
            problems.append(f"{version} {mart}: {actual} rows, publication says {expected}")
    return rows[0][0], problems


def check_parquet(parquet_dir: Path) -> tuple[str, list[str]]:
    folder = Path(os.path.realpath(parquet_dir / "current"))  # resolve once, read that version
    manifest = json.loads((folder / "publication.json").read_text())
    problems = []
    with duckdb.connect() as con:
        for mart, facts in manifest["marts"].items():
            path = str(folder / f"{mart}.parquet")
            actual = con.execute("select count(*) from read_parquet(?)", [path]).fetchone()[0]
            if actual != facts["rows"]:
                problems.append(
                    f"parquet {manifest['version']} {mart}: {actual} != {facts['rows']}"
                )
    if folder.name != manifest["version"]:
        problems.append(f"folder {folder.name} holds version {manifest['version']}")
    return manifest["version"], problems


def main() -> None:
    serving, stop, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    database = serving / "funnelhouse.duckdb"
    seen, parquet_seen, problems, reads = set(), set(), [], 0
    held = duckdb.connect(str(database), read_only=True) if mode == "hold" else None
    print("ready", flush=True)
    while not stop.exists():
        con = held or duckdb.connect(str(database), read_only=True)
        try:
            version, found = check_database(con)
        finally:
            if held is None:
                con.close()
        seen.add(version)
        problems += found
        if mode == "loop":
            version, found = check_parquet(serving / "parquet")
            parquet_seen.add(version)
            problems += found
        reads += 1
        # A looping reader must catch each publish; a holding one only proves it is never
        # blocked, and each read costs CPU the run it waits beside needs (at 10 reads a
        # second it took 27 CPU s during a rerun).
        time.sleep(0.01 if mode == "loop" else 0.5)
    summary = {
        "versions": sorted(seen),
        "parquet_versions": sorted(parquet_seen),
        "problems": problems,
        "reads": reads,
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
