"""The ``hipflex`` command: serve, migrate, and the chores around them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.server import LimitedHttpToolsProtocol

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        log_level=settings.log_level,
        access_log=False,  # hipflex writes its own structured access log
        proxy_headers=True,
        timeout_graceful_shutdown=20,
        # head size, header count and slow clients are bounded in the protocol (see app.server)
        http=LimitedHttpToolsProtocol,
    )
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from app import migrations

    migrations.upgrade(settings.database_url, args.revision)
    print(f"database at revision {args.revision}", file=sys.stderr)
    return 0


def _openapi(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from app.main import create_app

    text = json.dumps(create_app(settings).openapi(), indent=2, ensure_ascii=False) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    return 0


def _catalogue_check(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from app.catalogue import CatalogueError, load_catalogue

    try:
        catalogue = load_catalogue(Path(args.file), args.mode)
    except CatalogueError as exc:
        print(exc, file=sys.stderr)
        return 1
    count = len(catalogue.exercises)
    print(f"ok: {args.file} ({args.mode}) gives catalogue {catalogue.version} with {count} exercises")
    return 0


def _keys_engine(settings: Settings) -> Any:
    from app.db import make_engine

    if settings.auto_migrate and settings.is_sqlite:  # as the service does at start
        from app import migrations

        migrations.upgrade(settings.database_url)
    return make_engine(settings)


def _keys_create(args: argparse.Namespace, settings: Settings) -> int:
    from app import keys

    engine = _keys_engine(settings)
    try:
        key, info = keys.create(engine, args.tenant, args.name)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(key)
    print(f"created {info.prefix} for tenant {info.tenant!r}: the key above is shown only this once", file=sys.stderr)
    return 0


def _keys_list(args: argparse.Namespace, settings: Settings) -> int:
    from app import keys

    engine = _keys_engine(settings)
    try:
        found = keys.list_keys(engine, args.tenant)
    finally:
        engine.dispose()
    rows = [("PREFIX", "NAME", "TENANT", "CREATED", "REVOKED")]
    for info in found:
        revoked = info.revoked_at.isoformat(timespec="seconds") if info.revoked_at else "-"
        created = info.created_at.isoformat(timespec="seconds")
        rows.append((info.prefix, info.name or "-", info.tenant, created, revoked))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def _keys_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from app import keys

    engine = _keys_engine(settings)
    try:
        info = keys.revoke(engine, args.prefix)
    finally:
        engine.dispose()
    if info is None:
        print(f"error: no key {args.prefix!r}", file=sys.stderr)
        return 1
    print(f"revoked {info.prefix} (tenant {info.tenant!r})", file=sys.stderr)
    return 0


def _workout(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from app.catalogue import load_catalogue
    from app.workouts import WorkoutError, WorkoutQuery, draw_seed, generate
    from app.workouts.text import render

    fields = {
        "goal": args.goal,
        "level": args.level,
        "equipment": _split(args.equipment),
        "pain": _split(args.pain),
        "pain_level": args.pain_level,
        "minutes": args.minutes,
        "tight_side": args.tight_side,
        "exclude": _split(args.exclude),
        "red_flags": _split(args.red_flags),
        "seed": args.seed,
    }
    try:
        query = WorkoutQuery.model_validate({k: v for k, v in fields.items() if v is not None})
        catalogue = load_catalogue(settings.catalogue_path, settings.catalogue_mode)
        seed = query.seed if query.seed is not None else draw_seed()
        workout = generate(catalogue, query, seed)
    except ValidationError as exc:
        for error in exc.errors():
            print(f"--{'.'.join(str(p) for p in error['loc'][:1]).replace('_', '-')}: {error['msg']}", file=sys.stderr)
        return 2
    except WorkoutError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.json:
        print(workout.model_dump_json(indent=2))
    else:
        sys.stdout.write(render(workout))
    return 0


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [part.strip() for part in value.split(",") if part.strip()]


def _readme(args: argparse.Namespace, settings: Settings) -> int:
    from app.readme import write

    write(Path(args.file))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hipflex", description="hip-flexor training service")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP service (settings from HIPFLEX_* variables)")
    serve.add_argument("--host", help="override HIPFLEX_HOST")
    serve.add_argument("--port", type=int, help="override HIPFLEX_PORT")
    serve.add_argument("--workers", type=int, help="override HIPFLEX_WORKERS")
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database schema (Alembic)")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(handler=_migrate)

    workout = commands.add_parser("workout", help="print a generated workout (the parameters of GET /workouts)")
    workout.add_argument("--goal")
    workout.add_argument("--level")
    workout.add_argument("--equipment", help="comma-separated, e.g. band,wall")
    workout.add_argument("--pain", help="comma-separated pain flags, e.g. knee,low_back")
    workout.add_argument("--pain-level", type=int)
    workout.add_argument("--minutes", type=int)
    workout.add_argument("--tight-side")
    workout.add_argument("--exclude", help="comma-separated exercise slugs")
    workout.add_argument("--red-flags", help="comma-separated red flags from GET /screening, e.g. night_pain,fever")
    workout.add_argument("--seed", type=int)
    workout.add_argument("--json", action="store_true", help="print the JSON the API returns instead")
    workout.set_defaults(handler=_workout)

    catalogue = commands.add_parser("catalogue", help="work with catalogue files")
    catalogue_commands = catalogue.add_subparsers(dest="catalogue_command", required=True, metavar="COMMAND")
    check = catalogue_commands.add_parser("check", help="validate a custom catalogue file as the service would load it")
    check.add_argument("file")
    check.add_argument("--mode", choices=["extend", "replace"], default="extend")
    check.set_defaults(handler=_catalogue_check)

    keys = commands.add_parser("keys", help="manage tenants' API keys")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    create = keys_commands.add_parser("create", help="make a key for a tenant and print it (shown only once)")
    create.add_argument("--tenant", required=True, help="the tenant the key acts for, e.g. acme")
    create.add_argument("--name", help="a label to tell keys apart")
    create.set_defaults(handler=_keys_create)
    listing = keys_commands.add_parser("list", help="list keys: prefix, name, tenant, created, revoked")
    listing.add_argument("--tenant", help="only this tenant's keys")
    listing.set_defaults(handler=_keys_list)
    revoke = keys_commands.add_parser("revoke", help="revoke a key by its prefix (hf_…)")
    revoke.add_argument("prefix")
    revoke.set_defaults(handler=_keys_revoke)

    readme = commands.add_parser("readme", help="rewrite the README's generated rule tables and flare example")
    readme.add_argument("--file", default="README.md")
    readme.set_defaults(handler=_readme)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document (what openapi.json holds)")
    openapi.add_argument("--output", default="-", help="file to write; - for standard output")
    openapi.set_defaults(handler=_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args, Settings())


if __name__ == "__main__":
    sys.exit(main())
