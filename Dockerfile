# reconcile watch as a container: build the wheel's environment in one stage, copy only it into a
# slim runtime with git (the agent fetches with it) and no compilers, and run as a non-root user.
# See docs/watch.md ("Running it for real") for the Kubernetes Deployment and the systemd unit.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/reconcile
COPY pyproject.toml README.md LICENSE ./
COPY reconcile ./reconcile
RUN /opt/reconcile/bin/pip install --no-cache-dir . \
    && find /opt/reconcile -name '__pycache__' -prune -exec rm -rf {} +

FROM python:3.11-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group reconcile
COPY --from=build /opt/reconcile /opt/reconcile
ENV PATH=/opt/reconcile/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
# The agent's state (history, journals, the git cache) lives here: mount a volume to keep it.
WORKDIR /home/reconcile/agent
EXPOSE 8710
HEALTHCHECK --interval=30s --timeout=5s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8710/healthz', timeout=4)"]
ENTRYPOINT ["reconcile", "watch", "--host", "0.0.0.0", "--port", "8710"]
CMD ["--interval", "180"]
