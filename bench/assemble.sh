#!/usr/bin/env bash
# aloft assemble against mmdebstrap and against the decompress+compress floor, on the
# same .debs (local disk), measured in one run. Prints each time (best of RUNS) and the
# ratios. Usage: bench/assemble.sh [MANIFEST] [RUNS]   (amd64; the lock of MANIFEST;
# default manifests/php-fpm-nginx.yaml, 3 runs)
#   aloft (cold)   assemble with .debs cached and an empty layer cache (gzip -6 layers)
#   aloft (warm)   the same, layer cache warm (nothing changed)
#   aloft (zstd)   the cold build with --compression zstd, against the zstd floor
#   aloft (arm64)  the cold build of the arm64 closure, on the same amd64 machine (nothing
#                  is emulated); compared with amd64 per MB of .debs
#   floor pigz     `xz -dc` every data.tar | pigz -6 -p$(nproc)   (the data.tar members are
#                  taken out of the .debs beforehand, outside the timing)
#   floor zstd     `xz -dc` every data.tar | zstd -3 -T$(nproc)   (if zstd is installed)
#   xz alone       `xz -dc` of every data.tar, in $(nproc) processes (each its share of the
#                  bytes): what decompression costs with every core busy
#   mmdebstrap     --variant=extract --mode=root on the same package set, .debs pre-seeded
#                  into its apt cache (indexes still come from the mirror)
#   mmdebstrap ess --variant=essential with the same --include set: real maintainer scripts
#                  (what building this image the usual way costs); one run, it is slow
#   one bump       a lock that differs from MANIFEST's in one package (its trixie version
#                  instead of trixie-security's), after a warm build: time, bytes
#                  recompressed, and their ratio to the package's own tar bytes
#   sizes          base, php-cli, php-fpm-nginx cold: time, MB fed to gzip, MB/s and peak
#                  RSS (/usr/bin/time -v), to show cost linear in bytes and memory flat
#   lock           bench/lock.sh: `aloft lock --offline` of php-fpm-nginx, indexes cached
#   image sizes    bench/sizes.sh: php-cli, php-fpm-nginx and base as pushed and unpacked,
#                  beside php:8.4-cli-trixie/-alpine, php:8.4-fpm-trixie, distroless static
# Mirror for mmdebstrap: ALOFT_MIRROR, else the first Debian URI of the host's apt sources.
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=${1:-manifests/php-fpm-nginx.yaml}
runs=${2:-3}
cargo build --release --quiet
bin=$PWD/target/release/aloft
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ALOFT_CACHE_DIR="$work/cache"
stem=$(basename "$manifest" .yaml)
lock=lockfiles/$stem.lock.json
"$bin" assemble "$manifest" --arch amd64 --locked -o "$work/warmup.tar" -q >/dev/null
has_arm64=$(python3 -c 'import json,sys; print(int("arm64" in json.load(open(sys.argv[1]))["packages"]))' "$lock")
[ "$has_arm64" = 1 ] && "$bin" assemble "$manifest" --arch arm64 --locked -o "$work/warmup.tar" -q >/dev/null

# The .debs of the amd64 closure, named as apt names them.
mkdir -p "$work/debs"
python3 - "$lock" "$ALOFT_CACHE_DIR" "$work/debs" >"$work/packages" <<'PY'
import json, os, sys
lock = json.load(open(sys.argv[1]))
for p in lock["packages"]["amd64"]:
    version = p["version"].replace(":", "%3a")
    name = f'{p["name"]}_{version}_{p["architecture"]}.deb'
    os.symlink(os.path.join(sys.argv[2], "debs-v1", "sha256", p["sha256"]), os.path.join(sys.argv[3], name))
    print(p["name"])
PY
count=$(wc -l <"$work/packages")

best() { # best-of-$runs wall time in ms of "$@"
  local best=
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    if ! "$@" >/dev/null 2>"$work/stderr"; then
      echo "failed: $*" >&2
      tail -5 "$work/stderr" >&2
      return 1
    fi
    end=$(date +%s%N)
    local ms=$(( (end - start) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

aloft_cold() { rm -rf "$ALOFT_CACHE_DIR/layers-v1"; "$bin" assemble "$manifest" --arch amd64 --locked -o "$work/out.tar" -q; }
aloft_cold_arm64() { rm -rf "$ALOFT_CACHE_DIR/layers-v1"; "$bin" assemble "$manifest" --arch arm64 --locked -o "$work/out.tar" -q; }
aloft_cold_zstd() { rm -rf "$ALOFT_CACHE_DIR/layers-v1"; "$bin" assemble "$manifest" --arch amd64 --locked --compression zstd -o "$work/out.tar" -q; }
aloft_warm() { "$bin" assemble "$manifest" --arch amd64 --locked -o "$work/out.tar" -q; }
# The data.tar member of every .deb, on disk as it is in the .deb (trixie's are all xz), so
# that the floor times decompression and compression, not `ar`.
mkdir -p "$work/data"
for deb in "$work"/debs/*.deb; do
  member=$(ar t "$deb" | grep '^data\.tar')
  case "$member" in
    data.tar.xz) ar p "$deb" "$member" >"$work/data/$(basename "$deb" .deb).tar.xz" ;;
    *) echo "floor: $(basename "$deb") has $member, not data.tar.xz" >&2; exit 1 ;;
  esac
done
floor_pigz() { xz -dc "$work"/data/*.tar.xz | pigz -6 -p"$(nproc)" >/dev/null; }
floor_zstd() { xz -dc "$work"/data/*.tar.xz | zstd -3 -T"$(nproc)" -q >/dev/null; }
# Largest first onto the least loaded of nproc lists, so each process gets its share.
python3 - "$(nproc)" "$work"/data/*.tar.xz >"$work/xz-shares" <<'PY'
import os, sys
shares = [[0, []] for _ in range(int(sys.argv[1]))]
for path in sorted(sys.argv[2:], key=os.path.getsize, reverse=True):
    share = min(shares, key=lambda s: s[0])
    share[0] += os.path.getsize(path)
    share[1].append(path)
for _, paths in shares:
    print(" ".join(paths))
PY
floor_xz() {
  local share pids=()
  while read -r share; do
    # shellcheck disable=SC2086 # a share is a list of paths without spaces
    xz -dc $share >/dev/null & pids+=($!)
  done <"$work/xz-shares"
  local pid status=0
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  return "$status"
}

# The Debian archive of the host's apt sources (the first URI whose path ends in /debian).
mirror=$(scripts/host-mirror.sh 2>/dev/null || true)
# mmdebstrap VARIANT: the closure into $work/mm-VARIANT.tar with the same .debs.
mmdebstrap_variant() {
  rm -f "$work/mm-$1.tar"
  # apt finds the .debs in its cache under their own names and downloads nothing more.
  mmdebstrap --quiet --mode=root --variant="$1" --arch=amd64 \
    --include="$(paste -sd, "$work/packages")" \
    --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
    --setup-hook="cp $work/debs/*.deb \"\$1/var/cache/apt/archives/\"" \
    trixie "$work/mm-$1.tar" "deb $mirror trixie main" "deb ${mirror%/}-security trixie-security main"
  # A tarball with the closure's files, not an empty one.
  tar -tf "$work/mm-$1.tar" >"$work/mm.list"
  grep -q 'usr/share/doc/base-files/' "$work/mm.list"
}
mmdebstrap_extract() { mmdebstrap_variant extract; }
mmdebstrap_essential() { mmdebstrap_variant essential; }

t_cold=$(best aloft_cold) || exit 1
t_warm=$(best aloft_warm) || exit 1
t_arm64=; [ "$has_arm64" = 1 ] && { t_arm64=$(best aloft_cold_arm64) || exit 1; }
t_pigz=$(best floor_pigz) || exit 1
t_xz=$(best floor_xz) || exit 1
t_zstd=; command -v zstd >/dev/null && t_zstd=$(best floor_zstd)
t_cold_zstd=$(best aloft_cold_zstd) || exit 1
t_mm=; if command -v mmdebstrap >/dev/null && [ -n "$mirror" ]; then t_mm=$(best mmdebstrap_extract) || t_mm=; fi
t_mm_ess=; if [ -n "$t_mm" ]; then t_mm_ess=$(runs=1 best mmdebstrap_essential) || t_mm_ess=; fi
bytes=$(du -Lcb "$work"/debs/*.deb | tail -1 | cut -f1)
xz_bytes=$(du -cb "$work"/data/*.tar.xz | tail -1 | cut -f1)
tar_bytes=$(xz -dc "$work"/data/*.tar.xz | wc -c)

ratio() { python3 -c "import sys; print(f'{int(sys.argv[1]) / int(sys.argv[2]):.2f}')" "$1" "$2"; }
echo "aloft assemble $manifest (amd64, $count packages, $((bytes / 1000000)) MB of .debs; $(nproc) cores; best of $runs)"
echo "  floor input: $((xz_bytes / 1000000)) MB of data.tar.xz, $((tar_bytes / 1000000)) MB uncompressed"
printf '  %-34s %7s ms\n' "aloft, layer cache empty" "$t_cold" "aloft, layer cache warm" "$t_warm" \
  "floor: xz -dc | pigz -6" "$t_pigz" "xz -dc alone, $(nproc) processes" "$t_xz"
[ -n "$t_zstd" ] && printf '  %-34s %7s ms\n' "floor: xz -dc | zstd -3 -T" "$t_zstd"
printf '  %-34s %7s ms\n' "aloft --compression zstd, cold" "$t_cold_zstd"
[ -n "$t_zstd" ] && echo "  aloft zstd cold / zstd floor:   $(ratio "$t_cold_zstd" "$t_zstd")x"
[ -n "$t_mm" ] && printf '  %-34s %7s ms\n' "mmdebstrap --variant=extract" "$t_mm"
echo "  aloft cold / pigz floor:        $(ratio "$t_cold" "$t_pigz")x   (target <= 0.75)"
[ -n "$t_mm" ] && echo "  mmdebstrap extract / aloft cold: $(ratio "$t_mm" "$t_cold")x faster"
[ -n "$t_mm_ess" ] && printf '  %-34s %7s ms   (1 run; real maintainer scripts)\n' "mmdebstrap --variant=essential" "$t_mm_ess" &&
  echo "  mmdebstrap essential / aloft cold: $(ratio "$t_mm_ess" "$t_cold")x faster; / aloft warm: $(ratio "$t_mm_ess" "$t_warm")x"
if [ -n "$t_arm64" ]; then
  # .deb bytes per architecture, from the lock.
  read -r amd64_bytes arm64_bytes < <(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["packages"]; print(sum(x["size"] for x in p["amd64"]), sum(x["size"] for x in p["arm64"]))' "$lock")
  printf '  %-34s %7s ms   (%s MB of .debs, amd64 %s MB)\n' "aloft arm64, layer cache empty" "$t_arm64" "$((arm64_bytes / 1000000))" "$((amd64_bytes / 1000000))"
  echo "  arm64 / amd64 cold:              $(ratio "$t_arm64" "$t_cold")x   (target <= 1; per MB of .debs $(python3 -c 'import sys; a,b,c,d=map(int,sys.argv[1:]); print(f"{(a/c)/(b/d):.2f}")' "$t_arm64" "$t_cold" "$arm64_bytes" "$amd64_bytes")x)"
fi
echo "  warm rebuild:                    $t_warm ms   (target < 500 ms)"

# One bump: MANIFEST's lock with one package replaced by its version in trixie alone
# (an older .deb the archive still has), built after a warm build of the real lock.
python3 - "$lock" "$work" <<'PY' >"$work/bump.manifest" || true
import json, sys
lock = json.load(open(sys.argv[1]))
names = sorted({p["name"] for p in lock["packages"]["amd64"]})
print("contents:\n  repositories:\n    - {archive: debian, suite: trixie, components: [main]}")
print("  packages: [" + ", ".join(names) + "]\narchs: [amd64]")
PY
bump=
if "$bin" lock "$work/bump.manifest" --lockfile "$work/trixie-only.lock.json" -q 2>/dev/null; then
  bump=$(python3 - "$lock" "$work/trixie-only.lock.json" "$work/bump.lock.json" <<'PY'
import json, sys
lock, old = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
older = {p["name"]: p for p in old["packages"]["amd64"]}
for i, p in enumerate(lock["packages"]["amd64"]):
    o = older.get(p["name"])
    if o and o["version"] != p["version"] and o["repository"] == p["repository"].replace("debian-security/trixie-security", "debian/trixie"):
        lock["packages"]["amd64"][i] = o
        json.dump(lock, open(sys.argv[3], "w"), indent=2)
        open(sys.argv[3] + ".sha256", "w").write(o["sha256"])
        print(f'{p["name"]} {p["version"]} -> {o["version"]}')
        break
PY
)
fi
if [ -n "$bump" ]; then
  # Fetch the older .deb, then forget the layers that build made: only the real lock's
  # layers are cached when the bump is built.
  "$bin" assemble "$manifest" --arch amd64 --locked --lockfile "$work/bump.lock.json" -o "$work/bump.tar" -q >/dev/null
  rm -rf "$ALOFT_CACHE_DIR/layers-v1"
  "$bin" assemble "$manifest" --arch amd64 --locked -o "$work/out.tar" -q >/dev/null
  # Warm: what every run recompresses (the final layer alone).
  "$bin" assemble "$manifest" --arch amd64 --locked -o "$work/out.tar" 2>"$work/warm.err" >/dev/null
  start=$(date +%s%N)
  "$bin" assemble "$manifest" --arch amd64 --locked --lockfile "$work/bump.lock.json" -o "$work/bump.tar" 2>"$work/bump.err" >/dev/null
  t_bump=$(( ($(date +%s%N) - start) / 1000000 ))
  summary=$(grep -o '([0-9]* built.*recompressed' "$work/bump.err" | head -1)
  printf '  %-34s %7s ms   (%s: %s)\n' "one bump, rebuilt" "$t_bump" "$bump" "$summary"
  # What the bump recompressed in package layers (the final layer is rebuilt on every
  # run: a warm build's figure), against the bumped package's own tar.
  recompressed() { grep -oE '[0-9.]+ MB recompressed' "$1" | head -1 | cut -d' ' -f1; }
  own=$(dpkg-deb --fsys-tarfile "$ALOFT_CACHE_DIR/debs-v1/sha256/$(cat "$work/bump.lock.json.sha256")" | wc -c)
  python3 -c 'import sys; b, w, own = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]) / 1e6
print(f"  one bump, ratio:                 {b - w:.1f} MB recompressed in package layers, {(b - w) / own:.2f}x the package\x27s own {own:.2f} MB of tar (target <= about 2x)")' \
    "$(recompressed "$work/bump.err")" "$(recompressed "$work/warm.err")" "$own"
else
  echo "  one bump: no package of $manifest differs between trixie and trixie-security today; not measured"
fi

# Three image sizes, cold (layer cache empty), amd64: linear cost, flat memory.
echo "  sizes (cold, amd64; MB fed to gzip, peak RSS):"
for sized in manifests/base.yaml manifests/php-cli.yaml manifests/php-fpm-nginx.yaml; do
  "$bin" assemble "$sized" --arch amd64 --locked -o "$work/size.tar" -q >/dev/null
  rm -rf "$ALOFT_CACHE_DIR/layers-v1"
  /usr/bin/time -v -o "$work/time.txt" "$bin" assemble "$sized" --arch amd64 --locked -o "$work/size.tar" 2>"$work/size.err" >/dev/null
  rss_mb=$(( $(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt") / 1024 ))
  secs=$(awk -F'): ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); print (length(t) == 3 ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2])}' "$work/time.txt")
  mb=$(grep -o '[0-9.]* MB recompressed' "$work/size.err" | head -1 | cut -d' ' -f1)
  printf '    %-28s %6.2f s  %7s MB  %6.1f MB/s  peak %4s MB   (targets: php-fpm-nginx < 300 MB, flat)\n' \
    "$(basename "$sized" .yaml)" "$secs" "$mb" "$(python3 -c "print($mb / max($secs, 0.001))")" "$rss_mb"
done

# Lock time, indexes cached.
bench/lock.sh manifests/php-fpm-nginx.yaml 5 | sed 's/^/  /'

# Image sizes beside the published images users compare with.
bench/sizes.sh
