#!/usr/bin/env bash
# Proves the Dockerfile with podman (there is no Docker engine here): builds the image, then checks
# that pod-init works as the container's PID 1 — exit codes, exec failures, zombie reaping, signal
# forwarding on `podman stop` — and that the same image runs a whole pod in a privileged container.
#
# The base image is a build argument. Without network access to a registry, a local base is made
# once from a debootstrap'd Debian (the host's apt mirror) plus the host's own nodejs package files;
# POD_INIT_BASE_IMAGE=IMAGE uses IMAGE instead (for example node:20-bookworm where a registry is
# reachable; then also set POD_INIT_NODEDIR=/usr/local).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v podman >/dev/null 2>&1; then
  echo "podman is not installed: run ../shared/bench/podman-setup.sh (or apt-get install podman runc) first." >&2
  exit 3
fi

base=${POD_INIT_BASE_IMAGE:-localhost/pod-init-base:bookworm}
nodedir=${POD_INIT_NODEDIR:-/usr}
image=localhost/pod-init:test

make_local_base() {
  command -v debootstrap >/dev/null 2>&1 || apt-get install -y -qq debootstrap >/dev/null
  local mirror root
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
  root=$(mktemp -d /var/tmp/pod-init-base.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  echo "building a local base image from $mirror (once; a few minutes)" >&2
  debootstrap --variant=minbase --include=python3,make,g++,procps,libseccomp-dev bookworm "$root" "$mirror" >/dev/null
  # The host's Node (the nodejs package's files: node, npm, headers).
  dpkg -L nodejs | while read -r f; do
    if [[ -f $f || -L $f ]]; then mkdir -p "$root$(dirname "$f")" && cp -a "$f" "$root$f"; fi
  done
  # npm as it is now (it may have been upgraded since the package was installed).
  local npm_dir
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  rm -rf "$root$npm_dir" && mkdir -p "$root$(dirname "$npm_dir")" && cp -a "$npm_dir" "$root$npm_dir"
  # The host's trust store and npm settings, so that npm reaches the registry the way the host does.
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt" 2>/dev/null ||
    { mkdir -p "$root/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"; }
  local npmrc
  npmrc=$(npm config get globalconfig)
  if [[ -f $npmrc ]]; then mkdir -p "$root$(dirname "$npmrc")" && cp "$npmrc" "$root$npmrc"; fi
  tar -C "$root" -c . | podman import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$base" >/dev/null
}

if [[ -z ${POD_INIT_BASE_IMAGE:-} ]] && ! podman image exists "$base"; then make_local_base; fi

dangling_before=$(podman images -q --filter dangling=true | sort)
echo "== podman build (base $base)"
podman build -q --build-arg BUILD_IMAGE="$base" --build-arg RUNTIME_IMAGE="$base" \
  --build-arg NODEDIR="$nodedir" -t "$image" . >/dev/null

failures=0
check() { # name, expected, actual
  if [[ $2 == "$3" ]]; then echo "ok   $1"; else echo "FAIL $1: expected '$2', got '$3'"; failures=$((failures + 1)); fi
}

echo "== pod-init as PID 1"
check "PID 1 is pod-init's native init" "pod-pause" "$(podman run --rm "$image" cat /proc/1/comm)"
check "pod-init -- CMD through Node hands over to it" "pod-pause" \
  "$(podman run --rm --entrypoint pod-init "$image" -- cat /proc/1/comm)"
set +e
podman run --rm "$image" sh -c 'exit 3'; code=$?
check "exit code of CMD" 3 "$code"
podman run --rm "$image" sh -c 'kill -TERM $$'; code=$?
check "128+n when CMD dies of signal n" 143 "$code"
podman run --rm "$image" /no/such/command 2>/dev/null; code=$?
check "127 when CMD is not found" 127 "$code"
set -e
zombies=$(podman run --rm "$image" sh -c 'for i in $(seq 200); do (true &); done; sleep 0.5; ps -eo stat= | grep -c "^Z" || true')
check "orphans reaped (zombies left)" 0 "$zombies"

id=$(podman run -d "$image" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done')
podman stop -t 10 "$id" >/dev/null
check "podman stop: TERM forwarded to CMD" 42 "$(podman inspect -f '{{.State.ExitCode}}' "$id")"
podman rm -f "$id" >/dev/null

echo "== a whole pod inside a privileged container"
out=$(podman run --rm --privileged --entrypoint pod-init "$image" run /opt/pod-init/examples/demo-pod.yaml --timeout 4s 2>&1)
check "pod-init run of the demo pod in the image" yes "$(grep -q 'GET / -> 200' <<<"$out" && echo yes || echo no)"

podman rmi -f "$image" >/dev/null 2>&1 || true
# The build stage's image is left untagged: remove what this build added (not anyone else's).
comm -13 <(echo "$dangling_before") <(podman images -q --filter dangling=true | sort) | xargs -r podman rmi -f >/dev/null 2>&1 || true
echo "$(( 8 - failures )) passed, $failures failed"
((failures == 0))
