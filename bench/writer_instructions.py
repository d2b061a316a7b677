"""Instructions of the log writer's commit, phase by phase, per log, for groups of 16 five-entry logs (callgrind).

Each phase (the bind processing, each INSERT, the revision bump, BEGIN, COMMIT) is wrapped with two calls of
``os.getpgid``, where callgrind dumps its counts; the dumps are then added up by phase. Counts repeat from run to
run (a wall-clock A/B on the shared host does not).

    .venv/bin/python -m bench.writer_instructions [--tree <dir>] [--groups 10] [--postgres URL]

``--tree`` measures another source tree (a before: ``git archive main | tar -x -C /tmp/before``) with this
venv's interpreter; ``--postgres`` a migrated, empty Postgres database (the driver's side only: the server's
work is another process).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OTHER = "other"


def _inner(groups: int, labels_file: str, postgres: str | None) -> None:
    # (self-contained: the tree measured may not have this module)
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from app import migrations
    from app.db import make_engine
    from app.logs import LogCreate, store
    from app.logs import writer as logwriter
    from app.settings import Settings
    from bench import inprocess_logs

    url = postgres or f"sqlite:///{tempfile.mkdtemp()}/w.db"
    if postgres is None:
        migrations.upgrade(url)
    engine = make_engine(Settings(database_url=url))
    writer = logwriter.LogWriter(engine)
    data = LogCreate.model_validate_json(inprocess_logs.BODY)
    labels: list[str] = []
    depth = [0]

    def wrap(owner: Any, name: str, label: Any) -> None:
        original = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            if depth[0]:
                return original(*args, **kwargs)
            depth[0] += 1
            os.getpgid(0)
            labels.append(label(args) if callable(label) else label)
            try:
                return original(*args, **kwargs)
            finally:
                os.getpgid(0)
                labels.append(OTHER)
                depth[0] -= 1

        setattr(owner, name, counted)

    wrap(logwriter.DriverInsert, "rows", "bind processing (DriverInsert.rows)")
    wrap(Connection, "exec_driver_sql", lambda args: "SQL " + " ".join(str(args[1]).split()[:3])[:40])
    wrap(logwriter.revisions, "bump", "revision bump")
    wrap(Session, "commit", "COMMIT")
    wrap(Session, "connection", "BEGIN")

    def group(i: int) -> list[Any]:
        return [store._prepare("acme", f"bench-user-{(i * 16 + j) % 500}", data, None)[1] for j in range(16)]

    for i in range(20):
        writer._commit_group(group(i))
    measured = [group(i) for i in range(groups)]
    subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
    os.getpgid(0)
    labels[:] = [OTHER]
    for jobs in measured:
        writer._commit_group(jobs)
        assert all(job.error is None for job in jobs)
    os.getpgid(0)
    Path(labels_file).write_text(json.dumps(labels))
    engine.dispose()


def _total(path: str) -> int:
    with open(path) as dump:
        for line in dump:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.writer_instructions")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to measure (default: this one)")
    parser.add_argument("--groups", type=int, default=10, help="groups of 16 logs measured")
    parser.add_argument("--postgres", help="a migrated, empty Postgres database URL (default: a new SQLite file)")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            _inner(args.groups, args.inner, args.postgres)
        return 0
    folder = tempfile.mkdtemp(prefix="hipflex-writer-")
    out = os.path.join(folder, "callgrind.out")
    labels_file = os.path.join(folder, "labels.json")
    env = {**os.environ, "PYTHONPATH": str(args.tree.resolve()), "PYTHONHASHSEED": "0"}
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-before=getpgid", "--instr-atstart=no",
         "--dump-instr=no", "--collect-jumps=no", sys.executable, __file__, "--inner", labels_file,
         "--groups", str(args.groups), *(["--postgres", args.postgres] if args.postgres else [])],
        cwd=args.tree, env=env, check=True, stderr=subprocess.DEVNULL,
    )
    labels = json.loads(Path(labels_file).read_text())
    dumps = sorted(glob.glob(out + ".*"), key=lambda name: int(name.rsplit(".", 1)[1].split("-")[0]))
    found: dict[str, int] = {}
    for label, dump in zip(labels, dumps[1:], strict=False):  # (the first dump: start-up, not counted)
        found[label] = found.get(label, 0) + _total(dump)
    logs = args.groups * 16
    print(f"tree {args.tree}, {'Postgres' if args.postgres else 'SQLite'}, instructions a log (groups of 16)")
    for label, count in sorted(found.items(), key=lambda item: -item[1]):
        print(f"  {label:40s} {count / logs:10,.0f}")
    print(f"  {'total':40s} {sum(found.values()) / logs:10,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
