# syntax=docker/dockerfile:1
# ordersync: `docker build -t ordersync:0.1.0 .`, then run it with DATABASE_URL, LWA_CLIENT_ID, LWA_CLIENT_SECRET,
# ORDERSYNC_SECRET_KEY and ORDERSYNC_API_TOKEN (README "Deploying"): without them `serve` refuses to start, it never
# falls back to the demo. test/ship/image.test.ts runs `serve` from this runtime stage's file layout.

# Build: every dependency, TypeScript → dist/.
# Node 24, an LTS line (Node 20 reached its end of life in April 2026).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The scripts (prepare = tsc) need the sources: build explicitly below instead.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY bench ./bench
RUN npm run build

# Runtime: production dependencies only. No TypeScript, and no embedded PostgreSQL binaries (optional dependencies):
# the image runs against DATABASE_URL and says so when it is missing.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ORDERSYNC_EMBEDDED_DATABASE=false \
    ORDERSYNC_DATA_DIR=/tmp/ordersync \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
# The operator console's page, scripts and styles, served at / (serve will not start without them).
COPY console ./console
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/migrations ./dist/migrations
# The base image's unprivileged user (uid 1000); the files stay root-owned and read-only to it.
USER node
EXPOSE 3000
# Node runs as PID 1: ordersync handles SIGTERM itself (commits the page in flight, releases its leases).
ENTRYPOINT ["node", "bin/ordersync.js"]
CMD ["serve"]
