#!/usr/bin/env bash
# Lock time with indexes cached: `aloft lock --offline` of a manifest, N runs, after one
# online run that fills a private cache. Prints min / median / max and the 0.5 s target.
# Usage: bench/lock.sh [MANIFEST] [RUNS]    (mirror: --mirror/ALOFT_MIRROR/host apt sources)
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=${1:-manifests/php-fpm-nginx.yaml}
runs=${2:-10}
cargo build --release --quiet
bin=target/release/aloft
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ALOFT_CACHE_DIR="$work/cache"
"$bin" lock "$manifest" --lockfile "$work/warm.lock.json" -q
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$bin" lock "$manifest" --lockfile "$work/bench.lock.json" --offline -q
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
n=${#sorted[@]}
median=${sorted[$(( n / 2 ))]}
packages=$(python3 -c "import json,sys; l=json.load(open(sys.argv[1])); print(', '.join(f'{len(v)} {k}' for k,v in l['packages'].items()))" "$work/bench.lock.json")
echo "aloft lock --offline $manifest ($packages packages; $(nproc) cores; $runs runs)"
echo "  min ${sorted[0]} ms   median ${median} ms   max ${sorted[$((n - 1))]} ms   (target < 500 ms)"
