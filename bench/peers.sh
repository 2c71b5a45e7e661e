#!/usr/bin/env bash
# Installs the peers the benchmarks compare against (Debian packages), when run as root and they are
# missing: a fresh machine does not have them. Podman is set up by ../shared/bench/podman-setup.sh.
set -u
missing=()
for tool in tini dumb-init catatonit unshare nsenter cc crun bwrap busybox; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "bench: missing ${missing[*]} (not root: not installing; those benchmarks are skipped)" >&2
  exit 0
fi
packages=()
for tool in "${missing[@]}"; do
  case $tool in
    unshare | nsenter) packages+=(util-linux) ;;
    cc) packages+=(gcc libc6-dev) ;;
    bwrap) packages+=(bubblewrap) ;;
    busybox) packages+=(busybox-static) ;;
    *) packages+=("$tool") ;;
  esac
done
echo "bench: installing ${packages[*]}" >&2
(apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null) ||
  echo "bench: could not install ${packages[*]}; those benchmarks are skipped" >&2
