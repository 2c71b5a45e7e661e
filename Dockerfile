# pod-init as a container's PID 1 (and, --privileged, as a pod runner inside a container).
#
#   docker build -t pod-init .          # or: podman build -t pod-init .
#   docker run --rm pod-init sh -c 'exit 3'; echo $?     # 3: pod-init is PID 1 and exits with CMD
#
# Base images are build arguments so that a local image can stand in for the registry's
# (scripts/podman-image-test.sh builds one from a debootstrap'd Debian with the host's node).
ARG BUILD_IMAGE=node:20-bookworm
ARG RUNTIME_IMAGE=node:20-bookworm-slim

# --- build: the addon, pod-pause and dist/ (needs python3, make, g++ and Node's headers) ---
FROM ${BUILD_IMAGE} AS build
ARG NODEDIR=/usr/local
ENV npm_config_nodedir=${NODEDIR} npm_config_update_notifier=false
WORKDIR /build
# libseccomp: the addon compiles seccomp profiles with it (the runtime image has libseccomp2 already: apt needs it).
# musl-tools: pod-pause is linked against musl when musl-gcc is there (scripts/build-pause.js).
RUN command -v apt-get >/dev/null && { apt-get update -qq && apt-get install -y -qq libseccomp-dev musl-tools >/dev/null; } || true
COPY package.json package-lock.json binding.gyp tsconfig.json tsconfig.build.json pod-init.js ./
COPY native native
COPY scripts/bundle.js scripts/build-pause.js scripts/
COPY src src
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/node-gyp node_modules/node-addon-api build/Release/obj.target build/Release/.deps

# --- runtime: only what runs ---
FROM ${RUNTIME_IMAGE}
COPY --from=build /build/package.json /build/pod-init.js /opt/pod-init/
COPY --from=build /build/dist /opt/pod-init/dist
COPY --from=build /build/node_modules /opt/pod-init/node_modules
COPY --from=build /build/build/Release/pod_init.node /build/build/Release/pod-pause /opt/pod-init/build/Release/
COPY --from=build /build/bin/pod-init /opt/pod-init/bin/
COPY examples /opt/pod-init/examples
# The pod-init command is bin/pod-init (package.json "bin"): exec without Node, Node for every other verb.
RUN ln -s /opt/pod-init/bin/pod-init /usr/local/bin/pod-init \
 && ln -s /opt/pod-init/build/Release/pod-pause /usr/local/bin/pod-pause
# The entrypoint is pod-init's native init (the same program `pod-init -- CMD` exec()s into), started
# directly: as PID 1, Node ignores SIGTERM until its JavaScript runs (~100 ms here), so a `docker stop`
# right after `docker run` would be lost with `node pod-init.js` in front (measured with podman stop).
# The flags are the same: ENTRYPOINT ["pod-pause", "init", "-g", "--grace", "10", "--"], say.
ENTRYPOINT ["pod-pause", "init", "--"]
CMD ["sleep", "infinity"]
