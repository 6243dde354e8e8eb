# syntax=docker/dockerfile:1
# The alchemiser image: `alchemiser operator` in the operator Deployment, `alchemiser run` in
# worker pods. Not built in this repository's CI (no container engine there); linted by hadolint.

# ---- build: a virtual environment with the locked runtime dependencies and the package.
FROM python:3.11-slim-trixie AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python -m venv /opt/alchemiser

# Dependencies first, for layer caching. requirements.lock also pins the dev tools; used as
# constraints it fixes the exact version of every runtime dependency without installing them.
COPY requirements.lock pyproject.toml README.md ./
COPY src ./src
# Wheels only: the slim base has no compiler, and a dependency without a wheel must fail the
# build rather than compile something unreviewed.
RUN /opt/alchemiser/bin/pip install --only-binary=:all: --constraint requirements.lock . \
    && /opt/alchemiser/bin/pip uninstall --yes pip setuptools wheel

# ---- runtime: the same slim base, the virtual environment, no build tools, not root.
FROM python:3.11-slim-trixie

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
