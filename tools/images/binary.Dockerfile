# A cluster component from binaries built out of the Go module proxy (tools/k8s/build-tools.sh --cluster) on the
# Debian base, with the Debian packages it runs (iptables for kube-proxy and kube-router, catatonit for pause).
# tools/images/build.sh fills the build context's bin/ folder and names the image as kubeadm or the add-on expects.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
ARG PACKAGES=""
RUN if [ -n "$PACKAGES" ]; then \
      apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES \
      && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb; \
    fi
COPY bin/ /usr/local/bin/
# The image's own command, for the components their manifests start without one (pause, CoreDNS).
ARG ENTRYPOINT=/bin/sh
RUN printf '#!/bin/sh\nexec %s "$@"\n' "$ENTRYPOINT" >/entrypoint && chmod 0755 /entrypoint
ENTRYPOINT ["/entrypoint"]
