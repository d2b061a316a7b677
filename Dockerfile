# hipflex production image.
#
#   docker build -t hipflex .
#   docker run --rm -p 8000:8000 -v hipflex-data:/data hipflex
#
# Two stages on one base image: `build` makes a virtual environment in
# /opt/venv from the hash-pinned lockfile plus the project itself (a regular,
# non-editable install); the runtime stage gets only that venv, the Alembic
# migrations and alembic.ini. Nothing is fetched but the base image and PyPI
# packages. Configuration is by environment only (HIPFLEX_*, and PORT).
ARG BASE_IMAGE=python:3.12-slim

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
# The project, non-editable and without dependencies (the lockfile has them
# all); then pip and setuptools leave the venv, the service does not use them.
RUN python -m pip install --no-deps . \
 && python -m pip uninstall --yes pip setuptools
# app/migrations.py looks for migrations/ beside the app package: for the
# installed package that is site-packages, so a link there points at
# /app/migrations (where alembic.ini expects it too). Then check, outside the
# source tree, that the installed app finds its catalogue and its migrations.
RUN mkdir /app \
 && cp -R migrations alembic.ini /app/ \
 && ln -s /app/migrations "$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/migrations" \
 && cd / \
 && python -c 'from app import migrations; head = migrations.head_revision("sqlite://"); assert head, "no migrations"; print("migrations head:", head)' \
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
COPY --from=build /app /app
WORKDIR /app
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
