# MCIAS container image. Build: docker build -t mcias .
# Run:  docker run -d -p 8443:8443 -v /srv/mcias:/srv/mcias mcias
# The volume holds mcias.toml (see dist/mcias.conf.docker.example), the TLS files, the
# master key and the database, all readable by uid 10001. Bootstrap the first admin with
#   docker run --rm -it -v /srv/mcias:/srv/mcias --entrypoint /usr/local/bin/mcias mcias \
#     db account create --username admin --type human --config /srv/mcias/mcias.toml

# --- build: compile the single binary with Bun ----------------------------------
FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json package-lock.json bunfig.toml tsconfig.json ./
# Bun reads package-lock.json; --ignore-scripts skips the npm "bun" package's
# download (this image already is Bun).
RUN bun install --ignore-scripts
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
# No .git in the build context: `mcias version` reports commit "unknown".
RUN bun scripts/build.ts /out/mcias && mkdir -p /out/srv/mcias

# --- run: glibc + libstdc++ only, no shell, no package manager ------------------
FROM gcr.io/distroless/cc-debian12
COPY --from=build /out/mcias /usr/local/bin/mcias
COPY --from=build --chown=10001:10001 /out/srv/mcias /srv/mcias
ENV NO_COLOR=1
USER 10001:10001
WORKDIR /srv/mcias
VOLUME /srv/mcias
EXPOSE 8443
# SIGTERM (docker stop) drains in-flight requests; SIGHUP (docker kill -s HUP)
# reloads the TLS certificate.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mcias", "serve", "--config", "/srv/mcias/mcias.toml"]
