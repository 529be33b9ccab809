# NATS server for the chart's bundled data zone: the nats-server built from the Go module proxy on the Debian base,
# run by an unprivileged user on a read-only root (the chart mounts its configuration, data and pid folder).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY nats-server /usr/local/bin/nats-server
USER 1000:1000
EXPOSE 4222 8222
CMD ["nats-server", "--jetstream", "--store_dir", "/data"]
