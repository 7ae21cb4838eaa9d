#!/usr/bin/env bash
# aloft publish against Debian's docker-registry on loopback, and several manifests in one
# run, measured in one run. Usage: bench/publish.sh [MANIFEST]
# (default manifests/php-fpm-nginx.yaml, both its archs; the committed locks; .debs are
# downloaded once, beforehand, and every "machine" below has them: only layers differ)
#   cold assemble      assemble -o, empty layer cache: the reference time
#   publish (cold)     machine A, empty layer cache: builds, pushes, records the layers
#   publish (again)    machine A, nothing changed: blobs uploaded and time
#   publish (fleet)    machine B, a cache with the .debs and no layer: layers compressed,
#                      layer bytes uploaded and downloaded, time and its ratio to the
#                      cold assemble
#   all manifests      every manifest in manifests/ in one assemble run, layer cache
#                      cold, against the largest alone (cold), and the bytes they share
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=${1:-manifests/php-fpm-nginx.yaml}
stem=$(basename "$manifest" .yaml)
cargo build --release --quiet
bin=$PWD/target/release/aloft
work=$(mktemp -d)
registry_pid=
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

command -v docker-registry >/dev/null || { echo "needs docker-registry (Debian package)" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
host=127.0.0.1:$port

# The .debs of every manifest, once, into machine A's cache; machine B gets a copy.
export ALOFT_CACHE_DIR=$work/a
for m in manifests/*.yaml; do
  "$bin" assemble "$m" --locked -o "$work/warmup.tar" -q >/dev/null
done
rm -rf "$work/a/layers-v1"
mkdir -p "$work/b" && cp -r "$work/a/debs-v1" "$work/b/"

# Runs "$@" with stderr to $out; on failure shows it and stops.
run_to() {
  local out=$1; shift
  "$@" 2>"$out" >/dev/null || { echo "failed: $*" >&2; tail -20 "$out" >&2; exit 1; }
}
ms() { echo $(( ($2 - $1) / 1000000 )); }
now() { date +%s%N; }
# Uploaded layer bytes, blobs built: from publish's stderr lines.
uploaded() { grep -oE '[0-9]+ blobs uploaded \([0-9.]+ MB\)' "$1" | head -1; }
built() { grep -oE '\([0-9]+ built' "$1" | tr -d '(' | awk '{s += $1} END {print s + 0}'; }

t0=$(now); "$bin" assemble "$manifest" --locked -o "$work/cold.tar" -q >/dev/null; t1=$(now)
cold=$(ms "$t0" "$t1")
rm -rf "$work/a/layers-v1"

t0=$(now); run_to "$work/p1" "$bin" publish "$manifest" --locked "$host/bench/$stem:1"; t1=$(now)
publish_cold=$(ms "$t0" "$t1")
t0=$(now); run_to "$work/p2" "$bin" publish "$manifest" --locked "$host/bench/$stem:1"; t1=$(now)
publish_again=$(ms "$t0" "$t1")
t0=$(now)
ALOFT_CACHE_DIR=$work/b run_to "$work/p3" "$bin" publish "$manifest" --locked "$host/bench/$stem:1"
t1=$(now)
publish_fleet=$(ms "$t0" "$t1")

printf '%-22s %8s ms\n' "cold assemble" "$cold"
printf '%-22s %8s ms   %s, %s layers built\n' "publish (cold)" "$publish_cold" "$(uploaded "$work/p1")" "$(built "$work/p1")"
printf '%-22s %8s ms   %s\n' "publish (again)" "$publish_again" "$(uploaded "$work/p2")"
printf '%-22s %8s ms   %s, %s layers built; %s, %s; %.2fx the cold assemble\n' "publish (fleet)" "$publish_fleet" \
  "$(uploaded "$work/p3")" "$(built "$work/p3")" "$(grep -oE '[0-9]+ layers taken from it' "$work/p3")" \
  "$(grep -oE '[0-9]+ layer blobs downloaded' "$work/p3")" \
  "$(echo "$publish_fleet / $cold" | bc -l)"

# Several manifests: the largest alone, then all in one run, layer cache cold each time.
largest= ; largest_ms=0
for m in manifests/*.yaml; do
  rm -rf "$work/a/layers-v1"
  t0=$(now); "$bin" assemble "$m" --locked -o "$work/one.tar" -q >/dev/null; t1=$(now)
  t=$(ms "$t0" "$t1")
  if [ "$t" -gt "$largest_ms" ]; then largest_ms=$t; largest=$m; fi
done
rm -rf "$work/a/layers-v1" && mkdir -p "$work/all"
count=$(ls manifests/*.yaml | wc -l)
t0=$(now); run_to "$work/all.log" "$bin" assemble manifests/*.yaml --locked -o "$work/all"; t1=$(now)
all_ms=$(ms "$t0" "$t1")
printf '%-22s %8s ms   (%s)\n' "slowest alone" "$largest_ms" "$largest"
printf '%-22s %8s ms   %.2fx the slowest alone\n' "all $count in one run" "$all_ms" "$(echo "$all_ms / $largest_ms" | bc -l)"
grep -E '^[0-9]+ images: ' "$work/all.log"
