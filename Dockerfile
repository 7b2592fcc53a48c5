# syntax=docker/dockerfile:1
#
# Porta image (spec 50 §12): Node 22 on Alpine, non-root `porta`, tini as PID 1,
# production dependencies only, < 200 MB.
#
#   docker build -t blendsdk/porta:latest -t blendsdk/porta:<semver> \
#     --build-arg VERSION=<semver> --build-arg REVISION=$(git rev-parse HEAD) .
#
# Stages: build (compile TypeScript, build the admin console) · deps (production node_modules) ·
# base (node:24-alpine without npm/yarn/corepack, plus tini and curl) · runtime.
ARG NODE_IMAGE=node:24-alpine

# --- build: full install, tsc -> dist/, Vite -> dist/console ---------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY console ./console
COPY scripts/build-console.mjs ./scripts/
# bin/porta.mjs runs dist/ when src/ is absent, as in this image (tsx is a dev dependency).
# `npm run build` also builds the admin console (Vite) into dist/console, which the runtime serves at /admin.
RUN npm run build

# --- deps: production dependencies only -----------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force \
    # Never loaded at run time: type declarations, source maps, readmes/changelogs
    # (licence files are kept).
    && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
         -o -iname 'readme.md' -o -iname 'changelog.md' -o -iname 'history.md' \) -delete

# --- base: the Node 22 Alpine runtime without package managers -------------------
# Deleting files in a later layer does not shrink an image, so this stage is
# flattened into a single layer by the runtime stage (FROM scratch + COPY /).
FROM ${NODE_IMAGE} AS base
RUN apk add --no-cache tini curl \
    && rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
              /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* /usr/local/include /usr/local/share/doc \
              /usr/local/share/man /usr/local/share/systemtap /usr/local/CHANGELOG.md /usr/local/README.md \
              /usr/local/LICENSE /usr/local/bin/docker-entrypoint.sh /root/.npm /tmp/* \
    && addgroup -S -g 10001 porta \
    && adduser -S -D -u 10001 -G porta -h /home/porta -s /sbin/nologin porta \
    && node --version && tini --version && curl --version >/dev/null

# --- runtime ---------------------------------------------------------------------
FROM scratch AS runtime
COPY --from=base / /

ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Porta" \
      org.opencontainers.image.description="Self-hosted, multi-tenant OpenID Connect identity provider" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    PORTA_DATA_DIR=/app/.porta

WORKDIR /app
# Everything under /app belongs to root and is read-only for `porta`;
# only PORTA_DATA_DIR is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY templates ./templates
COPY locales ./locales
COPY static ./static
COPY docker/entrypoint.sh /usr/local/bin/porta-entrypoint
# `porta` on PATH: a wrapper, so neither the exec bit nor the shebang of
# bin/porta.mjs matters (it runs dist/cli/index.js because src/ is absent).
RUN chmod 0755 /usr/local/bin/porta-entrypoint \
    && printf '#!/bin/sh\nexec node /app/bin/porta.mjs "$@"\n' > /usr/local/bin/porta \
    && chmod 0755 /usr/local/bin/porta \
    && mkdir -p /app/.porta \
    && chown -R porta:porta /app/.porta /home/porta \
    && chmod 0700 /app/.porta

USER porta:porta
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -f http://localhost:3000/health || exit 1

ENTRYPOINT ["/sbin/tini", "--", "/usr/local/bin/porta-entrypoint"]
CMD ["node", "dist/main.js"]
