# Castellan's container image: one binary on Debian bookworm-slim, running as a non-root user.
#
#   docker build -t castellan .
#   docker run -d --name castellan -p 8080:8080 -p 127.0.0.1:9000:9000 \
#     -e CASTELLAN_ISSUER=https://auth.example.com -v castellan-data:/data castellan
#
# The issuer is yours to set (CASTELLAN_ISSUER): it is the URL clients and resource servers
# use, it goes into every token's `iss`, and the image can't guess it. Without it the server
# refuses to start (an issuer built from 0.0.0.0 reaches no one). docs/deployment.md has the rest.

# A Rust recent enough for the locked dependencies (pin one with --build-arg RUST_VERSION=1.89).
ARG RUST_VERSION=1
ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM rust:${RUST_VERSION}-bookworm AS builder
# PostgreSQL support links the system libpq; SQLite is compiled in.
# Unpinned: a pinned version stops installing once Debian replaces it with a security update.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole workspace (less what .dockerignore keeps out): Cargo needs every member's manifest,
# and migrations, templates, static files and config/default.toml are compiled into the binary.
COPY . .
# The server's package only (the workspace's other members are a library and an example).
RUN cargo build --release --locked -p castellan \
 && install -m 0755 target/release/castellan /usr/local/bin/castellan

FROM ${DEBIAN_IMAGE} AS runtime
# libpq5 for PostgreSQL; curl for the health check below; ca-certificates for curl and for
# TLS to PostgreSQL (sslrootcert=/etc/ssl/certs/ca-certificates.crt); sqlite3 for online
# backups of the SQLite database (docs/operations.md, "Backup and restore").
# Unpinned: a pinned version stops installing once Debian replaces it with a security update.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl sqlite3 \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid and gid (10001), so that volumes and Kubernetes' runAsUser/fsGroup can name them.
RUN groupadd --system --gid 10001 castellan \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin castellan \
 && install -d -m 0700 -o 10001 -g 10001 /data
COPY --from=builder /usr/local/bin/castellan /usr/local/bin/castellan

# Listen on every address of the container; the management listener (/metrics, /healthz,
# /readyz) on a port of its own. Data (SQLite database, master key file) under /data.
# CASTELLAN_DATABASE_URL set here wins over a plain DATABASE_URL: set CASTELLAN_DATABASE_URL to
# move to PostgreSQL. Set CASTELLAN_MASTER_KEY to keep the master key out of the volume.
ENV CASTELLAN_LISTEN=0.0.0.0:8080 \
    CASTELLAN_MANAGEMENT_LISTEN=0.0.0.0:9000 \
    CASTELLAN_DATABASE_URL=/data/castellan.db \
    CASTELLAN_MASTER_KEY_FILE=/data/master.key
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080 9000
# Liveness: /healthz on the management listener never looks at the database, so an outage of
# PostgreSQL does not mark the container unhealthy. Change the port here if you change
# CASTELLAN_MANAGEMENT_LISTEN.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9000/healthz"]
ENTRYPOINT ["castellan"]
CMD ["serve"]
