# The six services in one build: the production dependencies are installed once and the libraries compiled once,
# and each service is a last stage (`--target <service>`) that only sets its working directory, ports and command,
# so the six images share every layer. tools/images/build.sh builds them as vigil/<service>:<appVersion>, the
# names the chart runs. The per-service Dockerfiles under services/ build the same images one at a time.
#   docker build -f tools/images/suite.Dockerfile --target gateway -t vigil/gateway:0.1.0 .
ARG NODE_IMAGE=node:24.21-alpine

FROM ${NODE_IMAGE} AS workspace
WORKDIR /src
# npm resolves workspaces from every package.json, so all of them are copied, sources only where needed.
COPY package.json package-lock.json .npmrc .swcrc ./
COPY libs/contracts/package.json libs/contracts/
COPY libs/db/package.json libs/db/
COPY libs/messaging/package.json libs/messaging/
COPY libs/observability/package.json libs/observability/
COPY libs/runtime/package.json libs/runtime/
COPY libs/testing/package.json libs/testing/
COPY services/alerting/package.json services/alerting/
COPY services/gateway/package.json services/gateway/
COPY services/ingest/package.json services/ingest/
COPY services/operator/package.json services/operator/
COPY services/scorer/package.json services/scorer/
COPY services/validator/package.json services/validator/
COPY tools/docker/image-build.sh /usr/local/bin/image-build

FROM workspace AS production-dependencies
RUN image-build production alerting gateway ingest operator scorer validator

FROM workspace AS compiled
COPY libs/contracts/src libs/contracts/src
COPY libs/db/src libs/db/src
COPY libs/messaging/src libs/messaging/src
COPY libs/observability/src libs/observability/src
COPY libs/runtime/src libs/runtime/src
COPY services/alerting/src services/alerting/src
COPY services/gateway/src services/gateway/src
COPY services/ingest/src services/ingest/src
COPY services/operator/src services/operator/src
COPY services/scorer/src services/scorer/src
COPY services/validator/src services/validator/src
RUN image-build compile alerting gateway ingest operator scorer validator

FROM ${NODE_IMAGE} AS suite
# The runtime needs node alone: package managers are removed, which also removes their advisories.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production
WORKDIR /app
COPY --from=production-dependencies /src/package.json ./
COPY --from=production-dependencies /src/node_modules node_modules
# Workspace libraries and services: package.json (exports), nested dependencies where npm put any, compiled code.
COPY --from=production-dependencies /src/libs libs
COPY --from=production-dependencies /src/services services
COPY --from=compiled /src/libs/contracts/dist libs/contracts/dist
COPY --from=compiled /src/libs/db/dist libs/db/dist
COPY --from=compiled /src/libs/messaging/dist libs/messaging/dist
COPY --from=compiled /src/libs/observability/dist libs/observability/dist
COPY --from=compiled /src/libs/runtime/dist libs/runtime/dist
COPY --from=compiled /src/services/alerting/dist services/alerting/dist
COPY --from=compiled /src/services/gateway/dist services/gateway/dist
COPY --from=compiled /src/services/ingest/dist services/ingest/dist
COPY --from=compiled /src/services/operator/dist services/operator/dist
COPY --from=compiled /src/services/scorer/dist services/scorer/dist
COPY --from=compiled /src/services/validator/dist services/validator/dist
COPY services/alerting/migrations services/alerting/migrations
COPY services/alerting/policy services/alerting/policy
COPY services/gateway/migrations services/gateway/migrations
COPY services/ingest/migrations services/ingest/migrations
COPY services/scorer/migrations services/scorer/migrations
# the bundled fraud models and the default scoring policy the scorer applies when none is stored
COPY services/scorer/models services/scorer/models
COPY services/scorer/policy services/scorer/policy
COPY services/validator/migrations services/validator/migrations
# the validation rules it applies when no rule set is stored
COPY services/validator/rules services/validator/rules
# An unprivileged user by number, so Kubernetes can verify runAsNonRoot.
USER 1000:1000
CMD ["node", "--version"]

FROM suite AS alerting
WORKDIR /app/services/alerting
EXPOSE 9104
CMD ["node", "dist/main.js"]

FROM suite AS gateway
WORKDIR /app/services/gateway
EXPOSE 8080 9105
CMD ["node", "dist/main.js"]

FROM suite AS ingest
WORKDIR /app/services/ingest
EXPOSE 8081 9101
CMD ["node", "dist/main.js"]

FROM suite AS operator
WORKDIR /app/services/operator
EXPOSE 9107
CMD ["node", "dist/main.js"]

FROM suite AS scorer
WORKDIR /app/services/scorer
EXPOSE 9103
CMD ["node", "dist/main.js"]

FROM suite AS validator
WORKDIR /app/services/validator
EXPOSE 9102
CMD ["node", "dist/main.js"]
