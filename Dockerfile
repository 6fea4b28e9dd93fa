# Arbiter application image: one image for the worker, the stand-in systems, the stand-in
# model server and the approvals endpoint; compose picks the process with `command`.
# There is no compiled build yet, so TypeScript runs through tsx (a runtime
# dependency, not a dev one).

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only: tsx, the Temporal SDK (whose worker bundles the
# workflow code itself at start-up) and the libraries the code imports.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# Code stays root-owned (read-only to the process); only /data, where the
# stand-in systems keep their state, belongs to the runtime user. A named volume mounted
# there inherits this ownership on first use.
RUN mkdir -p /data && chown node:node /data
USER node
# The heap limit bounds the worker's memory: see runtime/worker-tuning.ts.
CMD ["npx", "tsx", "--max-old-space-size=768", "workers/main.ts"]
