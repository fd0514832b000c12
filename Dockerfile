# warren as a container image: the build stage compiles one self-contained binary (bun build --compile,
# the same `npm ci` + pinned Bun as CI); the runtime image holds only that binary and a default config,
# and runs as a non-root user.
#
#   docker build -t warren .
#   docker run --rm -p 9509:9509 warren                          # the default config (deploy/docker/warren.toml)
#   docker run --rm -v $PWD/warren.toml:/etc/warren/warren.toml:ro -p 6379:6379 warren
#
# SIGTERM (docker stop) drains: give it more time than shutdown.drainTimeoutMs, e.g. docker stop -t 45.

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json bunfig.toml ./
COPY src ./src
RUN npx bun build --compile src/main.ts --outfile dist/warren && ./dist/warren --version

# distroless/cc: glibc and libstdc++ (what a compiled Bun binary links), no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/warren /usr/local/bin/warren
COPY deploy/docker/warren.toml /etc/warren/warren.toml
# 65532 is distroless's "nonroot" user; numeric, so Kubernetes' runAsNonRoot can check it.
USER 65532:65532
EXPOSE 9509 9510
# The probe asks the admin server's /healthz (warren ctl health exits 0 on 200, 1 otherwise).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/warren", "ctl", "health", "--admin", "http://127.0.0.1:9510"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/warren"]
CMD ["--config", "/etc/warren/warren.toml", "--log-format", "json"]
