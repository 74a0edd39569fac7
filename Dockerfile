# syntax=docker/dockerfile:1.7
#
# Tokengate: build with `docker build -t tokengate .`, or run everything with
# `docker compose up --build` (MySQL 8.4 + this image, see docker-compose.yml).
#
# Stages: toolchain (compilers for native modules) → build (all deps, tsc) and
# prod-deps (production deps only) → runtime (slim, no compilers, non-root).
#
# Node: the maintenance LTS line 22 (24 once it passes; docs/operations.md, "Node.js support"). Its npm
# accepts the committed lock (`npm ci`), which lists every platform's optional
# packages. The install-script policy (package.json "allowScripts") is applied
# by hand so that it holds for any npm: install with --ignore-scripts, then run
# the install scripts of the two native modules that need them.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
# better-sqlite3 compiles from source (node-gyp: python3, make, g++) when no
# prebuilt binary can be downloaded; bcrypt ships its prebuilt binaries.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# ---- build: every dependency, then tsc and vite → dist/
FROM toolchain AS build
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts \
 && npm rebuild bcrypt better-sqlite3
COPY tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY src ./src
COPY examples ./examples
# The token console (React + Vite): built into dist/console with the service, served at /console/.
COPY console ./console
RUN npm run build

# ---- prod-deps: production dependencies only, native modules built here
FROM toolchain AS prod-deps
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts \
 && npm rebuild bcrypt better-sqlite3 \
 && node -e "require('bcrypt'); new (require('better-sqlite3'))(':memory:').close()"

# ---- runtime: no compilers, no dev dependencies, no sources
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Read at run time: the inventory example's SDL, and the supergraph the compose stack's gateway serves.
COPY examples/inventory/schema.graphql ./examples/inventory/
COPY examples/supergraph.docker.graphql ./examples/
# Code stays root-owned and read-only to the service; only the data directory
# (embedded SQLite when DATABASE_URL is unset; mount a volume there) is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 4000
# No curl in slim images: Node's own fetch. /healthz answers without touching the database.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# main.js handles SIGTERM itself: drains requests, flushes token usage, closes the pool (≤ 15 s).
CMD ["node", "dist/src/main.js"]
