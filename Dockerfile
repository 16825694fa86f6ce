# syntax=docker/dockerfile:1
# r1 on the CPU, on Debian 12 (bookworm) slim. Build and run (README "Docker"):
#   docker build -t r1 .
#   docker run -d -p 7860:7860 -v ~/.cache/huggingface:/root/.cache/huggingface r1
# The build stage installs only the Makefile's BUILD_PACKAGES and builds the program alone
# (`make release`: no tests, no benchmarks). The runtime stage installs only the Debian packages
# that hold the libraries that r1 links (docker/runtime-packages.sh, run on the built program).
# The kernels are chosen by CPUID at run time, so the image runs on any x86-64 processor.
ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
# make runs the Makefile's package list; versions come from the Debian release (not pinned).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/*
COPY Makefile ./
RUN make build-deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make release RELEASE_DIR=/out/build \
 && docker/runtime-packages.sh /out/build/r1 ca-certificates > /out/runtime-packages.txt \
 && cat /out/runtime-packages.txt

FROM ${DEBIAN_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && xargs --arg-file=/tmp/runtime-packages.txt apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
# uid 1000 runs the server. The Hugging Face cache stays where the seed's
# `-v ~/.cache/huggingface:/root/.cache/huggingface` mounts it: /root is opened for reading
# (nothing else is in it) and the cache folder belongs to uid 1000, so a new volume is writable
# and so is a host folder of the usual first user (uid 1000).
RUN useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin r1 \
 && mkdir -p /root/.cache/huggingface /var/lib/r1 \
 && chown 1000:1000 /root/.cache /root/.cache/huggingface /var/lib/r1 \
 && chmod 0755 /root
COPY --from=build /out/build/r1 /usr/local/bin/r1
COPY docker/entrypoint.sh /usr/local/bin/r1-entrypoint
ENV HF_HOME=/root/.cache/huggingface \
    R1_HOST=0.0.0.0 \
    R1_PORT=7860 \
    R1_DATA_DIR=/var/lib/r1
VOLUME ["/root/.cache/huggingface", "/var/lib/r1"]
USER 1000:1000
WORKDIR /home/r1
EXPOSE 7860
# A first start downloads the model (3.5 GB), hence the long start period.
HEALTHCHECK --interval=30s --timeout=10s --start-period=15m --retries=3 \
  CMD ["r1-entrypoint", "healthcheck"]
ENTRYPOINT ["r1-entrypoint"]
