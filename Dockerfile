# syntax=docker/dockerfile:1
# The alchemiser image: `alchemiser operator` in the operator Deployment, `alchemiser run` in
# worker pods. `docker build .` uses the public slim Python base and PyPI; `make image`
# (hack/image.py) builds the same file with podman on a locally built Debian base
# (BASE_IMAGE) and installs from a host-side wheelhouse mounted at WHEELHOUSE, with no
# network inside the build.
ARG BASE_IMAGE=python:3.11-slim-trixie

# ---- build: a virtual environment with the locked runtime dependencies and the package.
FROM ${BASE_IMAGE} AS build

# Empty: pip uses the package index. Set: pip installs only from that directory.
ARG WHEELHOUSE=
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python3 -m venv /opt/alchemiser

# Dependencies first, in a layer of their own that a change to src/ does not invalidate:
# the package is installed once without its sources (an empty src/), then uninstalled.
# requirements.lock also pins the dev tools; used as constraints it fixes the exact version
# of every runtime dependency without installing them. Wheels only: the base has no
# compiler, and a dependency without a wheel must fail the build rather than compile
# something unreviewed. Test suites of pandas/numpy and kubernetes.aio (an asyncio copy of
# the client that nothing here imports) are left out of the image.
COPY requirements.lock pyproject.toml README.md ./
# hadolint ignore=SC2086
RUN mkdir src \
    && /opt/alchemiser/bin/pip install --only-binary=:all: --constraint requirements.lock \
        ${WHEELHOUSE:+--no-index --find-links=$WHEELHOUSE} . \
    && /opt/alchemiser/bin/pip uninstall --yes alchemiser \
    && site=$(/opt/alchemiser/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))') \
    && find "$site/pandas" "$site/numpy" -depth -type d -name tests -exec rm -rf {} + \
    && rm -rf "$site/kubernetes/aio" src

# Then the package itself; no pip left in the image; bytecode compiled once, here, because
# the root filesystem is read-only at run time.
COPY src ./src
# hadolint ignore=SC2086
RUN /opt/alchemiser/bin/pip install --no-deps --only-binary=:all: \
        ${WHEELHOUSE:+--no-index --find-links=$WHEELHOUSE} . \
    && /opt/alchemiser/bin/pip uninstall --yes pip setuptools \
    && find /opt/alchemiser -name __pycache__ -type d -prune -exec rm -rf {} + \
    && /opt/alchemiser/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash \
        /opt/alchemiser/lib

# ---- runtime: the same base, the virtual environment, no build tools, not root.
FROM ${BASE_IMAGE}

ENV PATH=/opt/alchemiser/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN groupadd --system --gid 10001 alchemiser \
    && useradd --system --uid 10001 --gid alchemiser --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin alchemiser

COPY --from=build /opt/alchemiser /opt/alchemiser

# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /tmp

EXPOSE 8080 9090
ENTRYPOINT ["alchemiser"]
CMD ["--help"]
