#!/usr/bin/env bash
# Image sizes beside the anchors users compare with (issue "small images"): each
# manifest's amd64 image as pushed (config + layers, compressed, from `--json`) and
# unpacked (the layers' tar bytes), against the published images' compressed sizes
# measured once on 2026-12-06 by the issue that set the targets (no registry is reachable
# here, so they are quoted, not pulled):
#   php:8.4-cli-trixie 197.5 MB, php:8.4-cli-alpine 44.1 MB, php:8.4-fpm-trixie 178.4 MB,
#   gcr.io/distroless/static about 2 MiB.
# Usage: bench/sizes.sh    (the manifests' locks; .debs from the cache or the mirror)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/aloft
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "  image sizes (amd64, compressed as pushed / unpacked) against the anchors:"
while read -r manifest anchor_name anchor_mb target; do
  stem=$(basename "$manifest")
  # manifests/ have committed locks; examples/ are locked against the archive of the day.
  if [ -e "lockfiles/$stem.lock.json" ]; then
    lock=(--locked)
  else
    "$bin" lock "$manifest.yaml" --lockfile "$work/$stem.lock.json" -q
    lock=(--lockfile "$work/$stem.lock.json")
  fi
  "$bin" assemble "$manifest.yaml" "${lock[@]}" --arch amd64 --json -q -o "$work/$stem/" >"$work/$stem.json"
  python3 - "$work/$stem.json" "$work/$stem" "$stem" "$anchor_name" "$anchor_mb" "$target" <<'PY'
import json, os, sys
report, layout, stem, anchor_name, anchor_mb, target = sys.argv[1:]
platform = json.load(open(report))["platforms"][0]
blobs = os.path.join(layout, "blobs", "sha256")
config = os.path.getsize(os.path.join(blobs, platform["config"].split(":")[1]))
compressed = sum(layer["size"] for layer in platform["layers"]) + config
diff_ids = json.load(open(os.path.join(blobs, platform["config"].split(":")[1])))["rootfs"]["diff_ids"]
import gzip
unpacked = 0
for layer in platform["layers"]:
    with gzip.open(os.path.join(blobs, layer["digest"].split(":")[1])) as stream:
        while chunk := stream.read(1 << 20):
            unpacked += len(chunk)
anchor = float(anchor_mb)
print(f"    {stem:<16} {compressed / 1e6:7.1f} MB / {unpacked / 1e6:6.1f} MB   "
      f"{compressed / 1e6 / anchor:5.2f}x {anchor_name} ({anchor:.1f} MB)   target: {target}")
PY
done <<'LIST'
manifests/php-cli php:8.4-cli-trixie 197.5 <=55MB
manifests/php-cli php:8.4-cli-alpine 44.1 <=55MB
examples/php-cli-alpine-set php:8.4-cli-alpine 44.1 <=26MB
manifests/php-fpm-nginx php:8.4-fpm-trixie 178.4 <=0.35x
manifests/base distroless/static 2.1 -
examples/static distroless/static 2.1 <=2MiB
LIST
