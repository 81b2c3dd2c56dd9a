"""Benchmark of the Excel 台账 import (docs/ledger.md): prints numbers, asserts nothing.

Generates N synthetic projects (`app.demo.dataset.generate_projects(N, seed)`) into a scratch
SQLite database, exports them as an .xlsx ledger, and imports that file into a second, empty
scratch database, all in one transaction as `flask ledger import` does. Then the ledger is
exported again from the second database and imported once more (every row unchanged: the
update path). Each measured step runs in a fresh child process, so its peak resident memory
(`resource.getrusage`) is its own; a last child repeats the fresh import under `tracemalloc`
for the peak of Python allocations (slower, so its time is not reported).

    .venv/bin/python scripts/bench_ledger.py [--projects 10000] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 27)


def _app(db_path: Path):  # noqa: ANN202
    sys.path.insert(0, str(ROOT))
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench"})


def _migrate(app) -> None:  # noqa: ANN001
    import logging

    from flask_migrate import upgrade

    logging.disable(logging.INFO)
    with app.app_context():
        upgrade()


def _rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_generate(db_path: Path, out: Path, projects: int, seed: int) -> dict:
    """Source database with N synthetic projects, then its ledger exported to `out`."""
    app = _app(db_path)
    _migrate(app)
    with app.app_context():
        from app.demo.dataset import generate_projects
        from app.demo.loader import load_projects
        from app.services import ledger
        from app.services.projects import ProjectFilters

        started = time.perf_counter()
        load_projects(generate_projects(projects, seed), TODAY, renumber=True)
        loaded = time.perf_counter() - started
        before = _rss_mb()
        started = time.perf_counter()
        file = ledger.export_ledger(None, ProjectFilters(), "xlsx", dt.datetime.now(dt.UTC))
        exported = time.perf_counter() - started
        out.write_bytes(file.data)
    return {
        "load_s": loaded,
        "export_s": exported,
        "export_rss_mb": _rss_mb(),
        "rss_before_export_mb": before,
        "rows": file.rows,
        "bytes": len(file.data),
    }


def phase_import(db_path: Path, source: Path, trace: bool) -> dict:
    """Import `source` into the database at `db_path` (migrated here if new)."""
    app = _app(db_path)
    if not db_path.exists():
        _migrate(app)
    data = source.read_bytes()
    with app.app_context():
        from app.services import ledger

        baseline = _rss_mb()
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        record = ledger.import_ledger(None, source.name, data, TODAY, mode="apply", source="cli")
        seconds = time.perf_counter() - started
        traced = tracemalloc.get_traced_memory()[1] / (1 << 20) if trace else None
        result = {
            "status": record.status,
            "rows": record.row_count,
            "created": record.created_count,
            "updated": record.updated_count,
            "unchanged": record.unchanged_count,
            "problems": record.problems[:3],
        }
    result.update(
        {"seconds": seconds, "rss_mb": _rss_mb(), "baseline_rss_mb": baseline, "traced_mb": traced}
    )
    return result


def phase_export(db_path: Path, out: Path) -> dict:
    """Export the ledger of the database at `db_path` to `out`."""
    app = _app(db_path)
    with app.app_context():
        from app.services import ledger
        from app.services.projects import ProjectFilters

        started = time.perf_counter()
        file = ledger.export_ledger(None, ProjectFilters(), "xlsx", dt.datetime.now(dt.UTC))
        seconds = time.perf_counter() - started
        out.write_bytes(file.data)
    return {"seconds": seconds, "rss_mb": _rss_mb(), "bytes": len(file.data)}


def _child(*args: str) -> dict:
    """Run one phase in a fresh interpreter; its last output line is the JSON result."""
    done = subprocess.run(
        [sys.executable, __file__, "--phase", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"phase {args[0]} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the phases and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the databases and files in this folder")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        if name == "generate":
            result = phase_generate(Path(rest[0]), Path(rest[1]), int(rest[2]), int(rest[3]))
        elif name == "import":
            result = phase_import(Path(rest[0]), Path(rest[1]), rest[2] == "trace")
        else:
            result = phase_export(Path(rest[0]), Path(rest[1]))
        print(json.dumps(result, ensure_ascii=False))
        return

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    work.mkdir(parents=True, exist_ok=True)
    for name in ("source.db", "fresh.db", "traced.db"):
        (work / name).unlink(missing_ok=True)
    ledger_file, again_file = work / "ledger.xlsx", work / "again.xlsx"
    print(f"台账导入基准：{args.projects} 个项目（种子 {args.seed}），SQLite，工作目录 {work}")
    print(f"Python {sys.version.split()[0]}，{os.cpu_count()} 核")

    gen = _child("generate", str(work / "source.db"), str(ledger_file),
                 str(args.projects), str(args.seed))  # fmt: skip
    print(
        f"生成并登记 {gen['rows']} 个项目（演示数据装载器）：{gen['load_s']:.1f} s；"
        f"导出 .xlsx：{gen['export_s']:.1f} s，{gen['bytes'] / (1 << 20):.1f} MiB，"
        f"进程峰值内存 {gen['export_rss_mb']:.0f} MiB"
        f"（导出前 {gen['rss_before_export_mb']:.0f} MiB）"
    )
    fresh = _child("import", str(work / "fresh.db"), str(ledger_file), "plain")
    print(
        f"导入到空数据库：{fresh['status']}，新增 {fresh['created']} 个，"
        f"用时 {fresh['seconds']:.1f} s（{fresh['rows'] / fresh['seconds']:.0f} 行/秒），"
        f"进程峰值内存 {fresh['rss_mb']:.0f} MiB（导入前 {fresh['baseline_rss_mb']:.0f} MiB）"
    )
    again = _child("export", str(work / "fresh.db"), str(again_file))
    print(f"从新数据库再导出：{again['seconds']:.1f} s，进程峰值内存 {again['rss_mb']:.0f} MiB")
    same = _child("import", str(work / "fresh.db"), str(again_file), "plain")
    print(
        f"再导入（全部无变化）：{same['status']}，无变化 {same['unchanged']} 个，"
        f"用时 {same['seconds']:.1f} s，进程峰值内存 {same['rss_mb']:.0f} MiB"
    )
    traced = _child("import", str(work / "traced.db"), str(ledger_file), "trace")
    print(f"导入到空数据库的 Python 分配峰值（tracemalloc）：{traced['traced_mb']:.0f} MiB")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
