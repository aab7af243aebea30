# wbserver: the server image. Build from the repository root:
#   docker build -t wbserver .
# Two stages: the first compiles the C accelerator of history ingest (gcc) into the wheel,
# the second installs only wheels, so the runtime image carries no compiler. Nothing is
# downloaded at run time: the web UI's scripts and styles are vendored in the package.

FROM python:3.11-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libmariadb-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY src ./src
# the wbserver wheel (templates, static files, migrations, compiled accelerator), then the
# wheels of its dependencies, of the bucket SDKs (S3, GCS, Azure) and of the C MySQL driver
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .
RUN pip wheel --no-cache-dir --wheel-dir /wheels "$(ls /wheels/wbserver-*.whl)[all,mysql]"

FROM python:3.11-slim
# the MariaDB client library the C MySQL driver links against (a runtime library, no compiler)
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin wbserver \
    && mkdir -p /data && chown wbserver:wbserver /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "wbserver[all,mysql]" \
    && rm -rf /wheels
ENV WBSERVER_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
USER wbserver
WORKDIR /data
EXPOSE 8080
# /healthz answers while the server process runs (/readyz checks the database, storage, queue)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# SIGTERM: the server drains in-flight requests (25 s) and exits 0; `docker stop -t 30`
STOPSIGNAL SIGTERM
CMD ["wbserver", "serve", "--host", "0.0.0.0", "--port", "8080"]
