# hipflex production image.
#
#   docker build -t hipflex .
#   docker run --rm -p 8000:8000 -v hipflex-data:/data hipflex
#
# Two stages on one base image: `build` makes the project's wheel and a
# virtual environment in /opt/venv holding the hash-pinned lockfile plus that
# wheel (installed as any user would install it: the Alembic scripts travel
# inside it, as app/alembic_scripts/); the runtime stage gets only that venv.
# Nothing is fetched but the base image and PyPI packages. Configuration is by
# environment only (HIPFLEX_*, and PORT).
#
# The default base is Python 3.11: the version CI runs the whole suite on
# (3.13 runs everything but the slow fault/fuzz suites), and the one Debian
# bookworm ships, which container-check builds on.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies first: this layer is rebuilt only when the lockfile changes.
COPY requirements.lock ./
RUN python -m pip install --require-hashes -r requirements.lock
COPY . .
# The wheel, then the wheel alone into the venv (the lockfile has every
# dependency); then pip and setuptools leave the venv, the service does not
# use them.
RUN python -m pip wheel --no-deps --wheel-dir /tmp/dist . \
 && python -m pip install --no-deps /tmp/dist/hipflex-*.whl \
 && python -m pip uninstall --yes pip setuptools
# Outside the source tree, the installed app finds its catalogue and its
# migrations.
WORKDIR /
RUN python -c 'from app import migrations; head = migrations.head_revision("sqlite://"); assert head, "no migrations"; print("migrations head:", head)' \
 && hipflex openapi --output /dev/null

FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HIPFLEX_HOST=0.0.0.0 \
    HIPFLEX_DATABASE_URL=sqlite:////data/hipflex.db
# A fixed, unprivileged uid/gid, so a volume's owner is predictable.
RUN groupadd --gid 10001 hipflex \
 && useradd --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin hipflex \
 && mkdir /data \
 && chown 10001:10001 /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /data
USER 10001:10001
# The SQLite database (and its -wal/-shm files) lives here.
VOLUME ["/data"]
EXPOSE 8000
# Same port rule as CMD: PORT, else HIPFLEX_PORT, else 8000. No proxy, ever.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD python -c "import os, urllib.request as u; port = os.environ.get('PORT') or os.environ.get('HIPFLEX_PORT') or '8000'; u.build_opener(u.ProxyHandler({})).open(f'http://127.0.0.1:{port}/healthz', timeout=3)"
# exec: uvicorn replaces the shell as PID 1 and gets SIGTERM itself (graceful
# shutdown, up to 20 s: give `docker stop` a longer --time than its default 10).
# `docker run IMAGE hipflex migrate` replaces this command.
CMD ["sh", "-c", "exec hipflex serve --port \"${PORT:-${HIPFLEX_PORT:-8000}}\""]
