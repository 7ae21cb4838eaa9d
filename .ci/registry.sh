#!/usr/bin/env bash
# Starts Debian's docker-registry on loopback with its storage in a temp dir and prints
# `host:port` once it answers. Used by .ci/run for the live tests (skopeo copy). With
# ALOFT_REGISTRY_PIDFILE set, writes the registry's pid there (to stop it afterwards).
set -euo pipefail
port="${1:-5000}"
dir=$(mktemp -d)
cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
if [ -n "${ALOFT_REGISTRY_PIDFILE:-}" ]; then echo $! >"$ALOFT_REGISTRY_PIDFILE"; fi
for _ in $(seq 1 50); do
  if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
    echo "127.0.0.1:$port"
    exit 0
  fi
  sleep 0.2
done
echo "docker-registry did not start; its log:" >&2
cat "$dir/registry.log" >&2
exit 1
