# Shared helpers for the project's shell scripts. Sourced, not executed.
# Computes where the cached mediasoup worker lives, so every script (and the
# server, through MEDIASOUP_WORKER_BIN) agrees on one path.

TONGKE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TONGKE_ROOT

log() { printf '\033[1;34m[tongke]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[tongke] %s\033[0m\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

MEDIASOUP_VERSION="3.12.16"
# libsrtp2 is rebuilt from this Debian source version against OpenSSL (see build-srtp).
SRTP_DEBIAN_VERSION="2.5.0-3"
export SRTP_DEBIAN_VERSION

# Our patches of libsrtp2's source (scripts/patch-srtp-*.py), hashed into both caches' keys:
# the worker links libsrtp2 statically, so a new patch means a new worker too.
srtp_patches_key() {
  cat "$TONGKE_ROOT"/scripts/patch-srtp-*.py "$TONGKE_ROOT"/scripts/worker_patch.py | sha256sum | cut -c1-12
}

srtp_prefix() {
  printf '%s/tongke/libsrtp2-openssl-%s-%s' "${XDG_CACHE_HOME:-$HOME/.cache}" "$SRTP_DEBIAN_VERSION" "$(srtp_patches_key)"
}

# The worker links against Debian's libraries, so its cache key includes their
# versions: an apt upgrade of any of them triggers a rebuild. So does a change to our
# patches of its build files and source.
worker_cache_key() {
  local libs="libuv1-dev libssl-dev libsrtp2-dev libusrsctp-dev libabsl-dev nlohmann-json3-dev"
  local v patches
  v=$(dpkg-query -W -f='${Package}=${Version};' $libs 2>/dev/null)
  patches=$(cat "$TONGKE_ROOT"/scripts/patch-worker-*.py "$TONGKE_ROOT"/scripts/worker_patch.py | sha256sum | cut -c1-16)
  printf '%s' "mediasoup-${MEDIASOUP_VERSION};${v};srtp=openssl-${SRTP_DEBIAN_VERSION}-$(srtp_patches_key);patches=${patches}" | sha256sum | cut -c1-16
}

worker_cache_dir() {
  printf '%s/tongke/mediasoup-worker-%s-%s' "${XDG_CACHE_HOME:-$HOME/.cache}" "$MEDIASOUP_VERSION" "$(worker_cache_key)"
}

# Exports MEDIASOUP_WORKER_BIN unless the caller already chose one.
export_worker_bin() {
  if [ -z "${MEDIASOUP_WORKER_BIN:-}" ] || [ "${MEDIASOUP_WORKER_BIN}" = "/nonexistent" ]; then
    MEDIASOUP_WORKER_BIN="$(worker_cache_dir)/mediasoup-worker"
    export MEDIASOUP_WORKER_BIN
  fi
}
