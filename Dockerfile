# syntax=docker/dockerfile:1
#
# Fundguard: one image for every service. Run one service per container:
#   docker run IMAGE serve claims|rules|physician_codes|credit|gateway
#   docker run IMAGE migrate
#
# Base image: pinned to an exact tag, the same Python (3.11.7) and Debian release (bookworm)
# that deploy/requirements.lock was compiled for. Pinning by digest is stronger; it could not
# be done where this file was written (no registry access). To pin by digest, resolve it with
# `docker buildx imagetools inspect python:3.11.7-slim-bookworm` and build with
#   --build-arg PYTHON_IMAGE=python:3.11.7-slim-bookworm@sha256:<digest>
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

# ---------------------------------------------------------------------------- build
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Runtime dependencies: every file checked against the hashes in the lock; wheels only.
COPY deploy/requirements.lock deploy/build-requirements.lock /tmp/lock/
RUN python -m venv /opt/fundguard \
 && /opt/fundguard/bin/pip install --require-hashes --no-deps --only-binary=:all: \
        -r /tmp/lock/requirements.lock

# The fundguard package itself, built as a wheel with the locked build backend (no build
# isolation, so nothing unhashed is downloaded), then installed without dependencies.
RUN python -m venv /opt/build \
 && /opt/build/bin/pip install --require-hashes --no-deps -r /tmp/lock/build-requirements.lock
COPY . /src
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /tmp/wheels /src \
 && /opt/fundguard/bin/pip install --no-deps --no-index /tmp/wheels/fundguard-*.whl \
 && /opt/fundguard/bin/python -m compileall -q /opt/fundguard \
 && /opt/fundguard/bin/fundguard --help > /dev/null

# ---------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="fundguard" \
      org.opencontainers.image.description="Supervision of a province's medical-insurance fund" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.7-slim-bookworm"

# A fixed non-root uid/gid that the Kubernetes manifests also name (runAsUser 10001).
RUN groupadd --system --gid 10001 fundguard \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin fundguard \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/fundguard

COPY --from=build /opt/fundguard /opt/fundguard

ENV PATH=/opt/fundguard/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FUNDGUARD_DATA_DIR=/var/lib/fundguard

USER 10001:10001
WORKDIR /var/lib/fundguard

# gRPC: claims 50051, rules 50052, physician_codes 50053, credit 50054; gateway HTTP 8080;
# Prometheus metrics 9464.
EXPOSE 50051 50052 50053 50054 8080 9464

# Exec form: fundguard is PID 1 and receives SIGTERM itself; it turns health NOT_SERVING,
# stops the server with a grace period and flushes spans before exiting.
STOPSIGNAL SIGTERM
ENTRYPOINT ["fundguard"]
CMD ["--help"]
