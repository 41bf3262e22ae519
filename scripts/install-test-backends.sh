#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (CI runs this before `npm ci && npm test`):
# real Prometheus + promtool, Alertmanager, blackbox exporter, Podman (Docker-compatible API) with runc and
# busybox for test images, tmux for end-to-end tests, openssl for test certificates, and Node 22 (cached
# via npx) for the second supported runtime.
set -euo pipefail
need=()
for bin in prometheus promtool prometheus-alertmanager prometheus-blackbox-exporter podman runc busybox tmux openssl; do
  command -v "$bin" >/dev/null 2>&1 || need+=("$bin")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "install-test-backends: installing packages for: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    prometheus prometheus-alertmanager prometheus-blackbox-exporter \
    podman runc busybox-static tmux openssl ca-certificates >/dev/null
fi
# Podman must not touch system-wide state from tests: each test writes its own storage.conf/containers.conf.
mkdir -p /var/lib/containers/cache 2>/dev/null || true
if ! npx -y node@22 --version >/dev/null 2>&1; then
  echo "install-test-backends: could not fetch node@22 through npm" >&2
  exit 1
fi
echo "install-test-backends: ready ($(prometheus --version 2>&1 | head -1 | cut -d' ' -f1-3); podman $(podman --version | cut -d' ' -f3); tmux $(tmux -V | cut -d' ' -f2); node22 $(npx -y node@22 --version))"
