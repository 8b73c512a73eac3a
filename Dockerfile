# syntax=docker/dockerfile:1
# zeroops container image: one image for every service; the command picks it
# (`zeroops collector`, `detector`, `executor`, `api`, or `start` for all).
#
#   docker build -t zeroops .
#   docker run -p 4317:4317 -p 4318:4318 -p 8080:8080 -e ZEROOPS_HOST=0.0.0.0 zeroops start

# ---- build: every dependency, compile TypeScript to dist/ ----------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig*.json ./
COPY bin ./bin
COPY proto ./proto
COPY models ./models
COPY services ./services
RUN npm run build

# ---- deps: production dependencies only ---------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime: compiled code + production dependencies, non-root ----------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ZEROOPS_HOST=0.0.0.0 \
    ZEROOPS_DATA_DIR=/var/lib/zeroops
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/proto ./proto
COPY package.json ./
RUN mkdir -p /var/lib/zeroops && chown node:node /var/lib/zeroops
# The node image's unprivileged user (uid 1000).
USER node
EXPOSE 4317 4318 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.ZEROOPS_API_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/zeroops.js"]
CMD ["start"]
