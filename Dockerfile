# aprity-diagnose: the wheel built from this checkout, installed by the same script CI runs
# (scripts/install-wheel.sh, proven by tests/deploy/test_wheel.py), on a slim Python, as a non-root user,
# with the SQLite database on a declared volume.
#
#   docker build -t aprity-diagnose .
#   docker run --env-file .env -v aprity-data:/data -v "$PWD/secrets:/run/secrets:ro" aprity-diagnose
#
# Default process: Socket Mode (no public URL). For HTTP mode run the Procfile's web command instead
# (see compose.yaml). Never both against one database.
ARG PYTHON_VERSION=3.11.7
FROM python:${PYTHON_VERSION}-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/aprity/bin:$PATH

COPY . /src
RUN sh /src/scripts/install-wheel.sh /src /opt/aprity \
    && rm -rf /src \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin aprity \
    && mkdir -p /data && chown aprity:aprity /data && chmod 0700 /data

# The database (sessions, retest plans, escalation guard, expiry-warning memory, stats) lives here:
# mount a named volume or a disk, or it is lost with the container.
VOLUME ["/data"]
ENV APRITY_DB=/data/aprity-diagnose.db \
    PORT=8080 \
    HOST=0.0.0.0 \
    APRITY_HEALTH_PORT=8080
WORKDIR /data
USER aprity
EXPOSE 8080

# GET /healthz: 200 when the database takes writes, the scheduler runs and Slack's connection is up.
# Socket Mode serves it on APRITY_HEALTH_PORT, HTTP mode on PORT: both 8080 here.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('APRITY_HEALTH_PORT', '8080'), timeout=8)"]

# SIGTERM lets runs in flight finish (APRITY_SHUTDOWN_GRACE, 20 s): keep docker stop's timeout above it.
STOPSIGNAL SIGTERM
CMD ["aprity-diagnose", "socket"]
