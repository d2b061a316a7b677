"""The ``hipflex`` command: serve, migrate, and the chores around them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from app.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

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
    print(f"ok: {args.file} ({args.mode}) gives catalogue {catalogue.version} with {len(catalogue.exercises)} exercises")
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

    catalogue = commands.add_parser("catalogue", help="work with catalogue files")
    catalogue_commands = catalogue.add_subparsers(dest="catalogue_command", required=True, metavar="COMMAND")
    check = catalogue_commands.add_parser("check", help="validate a custom catalogue file as the service would load it")
    check.add_argument("file")
    check.add_argument("--mode", choices=["extend", "replace"], default="extend")
    check.set_defaults(handler=_catalogue_check)

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
