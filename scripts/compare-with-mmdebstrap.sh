#!/usr/bin/env bash
# compare-with-mmdebstrap.sh — how an aloft image's files differ from a Debian install of
# the same packages, made by mmdebstrap with dpkg and the real maintainer scripts.
#
# Usage: scripts/compare-with-mmdebstrap.sh [--relock] [MANIFEST] [ARCH]
#   MANIFEST  default manifests/php-fpm-nginx.yaml; its committed lock is used (--locked)
#   ARCH      default amd64
#   --relock  lock MANIFEST afresh into the work directory and compare that lock. apt (in
#             mmdebstrap) installs only versions the archive's index lists, and a committed
#             lock's versions leave the index at each point release or security update;
#             the live test uses it so that it compares today's archive, not an old lock.
#
# What it does:
#   1. aloft assemble MANIFEST --locked --arch ARCH into an OCI layout (a release build,
#      or the binary ALOFT_BIN names).
#   2. mmdebstrap --mode=root --variant=essential --include=NAME=VERSION,... (the lock's
#      packages at the lock's versions, their .debs pre-seeded from aloft's cache), which
#      runs dpkg and every maintainer script. `essential` adds what dpkg needs to run the
#      scripts (dash, coreutils, ...); files of packages that are not in the lock are
#      left out of the comparison.
#   3. Lists both file systems (path, type, mode, owner, link target) and prints every
#      difference under the reason it is expected, as documented in
#      docs/differences.md, and the differences no reason explains; then compares the
#      contents of the CA bundle and /etc/ca-certificates.conf, which must be identical.
#
# Exit status: 0 when every difference is explained and the CA files are identical, 1
# otherwise, 2 on setup errors.
# Mirror: ALOFT_MIRROR, else the first Debian URI of the host's apt sources (read here,
# never written anywhere). Needs: mmdebstrap (root mode: run as root), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
relock=0
if [ "${1:-}" = --relock ]; then
  relock=1
  shift
fi
manifest=${1:-manifests/php-fpm-nginx.yaml}
arch=${2:-amd64}
stem=$(basename "$manifest" .yaml)
lock=lockfiles/$stem.lock.json
[ "$relock" = 1 ] || [ -f "$lock" ] || { echo "no lock $lock" >&2; exit 2; }
command -v mmdebstrap >/dev/null || { echo "mmdebstrap is not installed" >&2; exit 2; }
# ALOFT_BIN: an aloft binary to use (the live tests pass theirs); else a release build.
if [ -n "${ALOFT_BIN:-}" ]; then
  bin=$ALOFT_BIN
else
  cargo build --release --quiet
  bin=$PWD/target/release/aloft
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$relock" = 1 ]; then
  lock=$work/$stem.lock.json
  "$bin" lock "$manifest" --lockfile "$lock" -q
fi
"$bin" assemble "$manifest" --lockfile "$lock" --locked --arch "$arch" -o "$work/image/" -q >/dev/null
cache=$("$bin" cache dir)

mkdir -p "$work/debs"
python3 - "$lock" "$arch" "$cache" "$work/debs" >"$work/include" <<'PY'
import json, os, sys
lock, arch, cache, out = sys.argv[1:]
names = []
for p in json.load(open(lock))["packages"][arch]:
    version = p["version"].replace(":", "%3a")
    deb = os.path.join(cache, "debs-v1", "sha256", p["sha256"])
    os.symlink(deb, os.path.join(out, f'{p["name"]}_{version}_{p["architecture"]}.deb'))
    names.append(f'{p["name"]}={p["version"]}')
print(",".join(names))
PY

mirror=$(scripts/host-mirror.sh) || exit 2

echo "mmdebstrap: $(tr ',' '\n' <"$work/include" | wc -l) packages of $lock ($arch), scripts run" >&2
mmdebstrap --quiet --mode=root --variant=essential --arch="$arch" \
  --include="$(cat "$work/include")" \
  --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
  --setup-hook="cp $work/debs/*.deb \"\$1/var/cache/apt/archives/\"" \
  trixie "$work/mm.tar" "deb $mirror trixie main" "deb ${mirror%/}-security trixie-security main"

python3 - "$work/image" "$work/mm.tar" "$lock" "$arch" <<'PY'
import fnmatch, glob, gzip, io, json, os, re, sys, tarfile

layout, mm_tar, lock_path, arch = sys.argv[1:]
# Packages the image leaves out (only maintainer scripts use them: the lock's left_out)
# count with those mmdebstrap adds beyond the lock.
locked_packages = json.load(open(lock_path))["packages"][arch]
locked = {p["name"] for p in locked_packages if "left_out" not in p}
# Packages the image keeps a slice of: mmdebstrap installs them whole.
sliced = {p["name"] for p in locked_packages if "slice" in p}

def kind(m):
    return "dir" if m.isdir() else "link" if m.issym() else "hardlink" if m.islnk() else "file"

def listing(members):
    out = {}
    for m in members:
        path = "/" + m.name.lstrip("./").rstrip("/")
        if path == "/":
            continue
        out[path] = (kind(m), m.mode & 0o7777, m.uid, m.gid, m.linkname if m.issym() else "")
    return out

def blob(digest):
    return os.path.join(layout, "blobs", "sha256", digest.split(":")[1])

index = json.load(open(os.path.join(layout, "index.json")))
top = json.load(open(blob(index["manifests"][0]["digest"])))
manifest = json.load(open(blob(top["manifests"][0]["digest"])))
aloft = {}
for layer in manifest["layers"]:
    with tarfile.open(blob(layer["digest"]), "r:gz") as t:
        aloft.update(listing(t.getmembers()))

with tarfile.open(mm_tar) as t:
    members = t.getmembers()
    mm = listing(members)
    # Paths of packages mmdebstrap installed beyond the lock (the essential set), unless
    # a locked package lists them too (shared directories).
    listed = {}
    for m in members:
        match = re.fullmatch(r"var/lib/dpkg/info/([^:]+)(?::[^.]+)?\.list", m.name.lstrip("./"))
        if match:
            paths = t.extractfile(m).read().decode().splitlines()
            listed[match.group(1)] = {p for p in paths if p not in ("/.", "")}
    extra_pkgs = sorted(set(listed) - locked)
    by_lock = set().union(*(paths for name, paths in listed.items() if name in locked))
    foreign = set().union(*(listed[name] for name in extra_pkgs)) - by_lock
    # Links to alternatives whose chosen path is a foreign package's.
    for path, entry in list(mm.items()):
        if entry[0] == "link" and entry[4].startswith("/etc/alternatives/"):
            chosen = mm.get(entry[4])
            usr = lambda p: "/usr" + p if p.split("/")[1:2] in (["bin"], ["sbin"], ["lib"]) else p
            if chosen and usr(chosen[4]) in {usr(f) for f in foreign}:
                foreign.update({path, entry[4]})

# Merged /usr: compare /bin/x and /usr/bin/x as one.
def canonical(path):
    for legacy in ("/bin", "/sbin", "/lib", "/lib64"):
        if path.startswith(legacy + "/"):
            return "/usr" + path
    return path
aloft = {canonical(p): v for p, v in aloft.items()}
mm = {canonical(p): v for p, v in mm.items() if p not in foreign and canonical(p) not in foreign}
# What only sliced packages list (a directory another locked package lists is no slice's).
whole = set().union(*(paths for name, paths in listed.items() if name in locked - sliced))
slice_only = sorted({canonical(p) for name in sliced for p in listed.get(name, ())} - {canonical(p) for p in whole})

# Expected differences, as docs/differences.md explains them: (reason, side, patterns).
REASONS = [
    ("slim image: documentation, manual pages, info pages, translations and lintian overrides are not installed; each copyright is (docs/assemble.md, Slim by default)", "mm",
     ["/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*", "/usr/share/lintian/*"]),
    ("slices: the image keeps only the paths the manifest's slices name (" + ", ".join(sorted(sliced)) + "), and what their scripts would make of the rest (docs/manifest.md, Slices)", "mm",
     [glob.escape(p) for p in slice_only]),
    ("dpkg database: aloft writes status.d/<pkg> and .md5sums (the distroless format), not dpkg's info/, status, available, triggers", "both",
     ["/var/lib/dpkg/*"]),
    ("apt, debconf and log state of the install run (no apt or debconf in the image)", "mm",
     ["/var/lib/apt*", "/var/cache/apt*", "/var/cache/debconf*", "/var/log/*", "/etc/apt*", "/var/cache/ldconfig*", "/var/lib/ucf*", "/var/lib/systemd*"]),
    ("ld.so.cache: not made; Debian's glibc finds the multiarch libraries without it, and no package here adds an ld.so.conf.d directory (aloft writes one when a package does: the live tests check every DT_NEEDED)", "mm",
     ["/etc/ld.so.cache"]),
    ("shadow files and backups of the account tools (aloft writes /etc/passwd and /etc/group with `*` passwords)", "mm",
     ["/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/passwd-", "/etc/group-", "/etc/subuid", "/etc/subgid", "/etc/subuid-", "/etc/subgid-", "/etc/.pwd.lock"]),
    ("machine state of mmdebstrap's run", "mm",
     ["/etc/machine-id", "/etc/hostname", "/etc/resolv.conf", "/etc/hosts", "/var/lib/dbus*", "/etc/mtab", "/etc/fstab", "/etc/motd"]),
    ("alternatives of packages outside the lock (the essential set), and the directory dpkg owns", "both",
     ["/etc/alternatives", "/etc/alternatives/*", "/var/lib/dpkg/alternatives/*"]),
    ("files of the essential set's scripts (shells list, root's dot files)", "mm",
     ["/etc/shells", "/root/.*", "/etc/skel*", "/etc/profile", "/etc/bash.bashrc", "/etc/environment"]),
    ("device nodes and /dev entries that mmdebstrap makes (the container runtime provides /dev)", "mm",
     ["/dev/*"]),
    ("init-system glue (update-rc.d, deb-systemd-helper), skipped on purpose: s6 or the entrypoint starts services", "mm",
     ["/etc/rc?.d/*", "/etc/systemd/system/*"]),
    ("what the essential set's scripts make (pam-auth-update, add-shell): those packages are not in the image", "mm",
     ["/etc/pam.d/common-*", "/etc/security/opasswd", "/var/lib/pam/*", "/var/lib/shells.state"]),
    ("ca-certificates' empty /usr/local/share/ca-certificates (its mode comes from `$(stat ...)`); `files:` makes it when you add a local CA", "mm",
     ["/usr/local/share/ca-certificates"]),
    ("/etc/localtime follows the manifest's TZ (UTC here), not debconf's default Etc/UTC: the same zone", "both",
     ["/etc/localtime"]),
    ("/etc/timezone, which trixie's tzdata no longer writes, kept for programs that read it (Debian's PHP guesses its default time zone from it)", "aloft",
     ["/etc/timezone"]),
    ("aloft's own: effects record, s6 service tree, the manifest's accounts, paths and files", "aloft",
     ["/usr/share/aloft*", "/run/service*", "/home/nonroot*", "/app*", "/run/nginx*",
      "/etc/nginx/nginx.conf", "/etc/php/8.4/fpm/php-fpm.conf", "/etc/php/8.4/fpm/pool.d/www.conf", "/etc/caddy/Caddyfile",
      "/etc/nsswitch.conf"]),
    ("tmpfiles.d directories made at build time (a container never boots to make them)", "aloft",
     ["/run/*", "/var/lib/php/sessions*", "/var/log/*", "/var/tmp*", "/tmp*", "/var/cache/*"]),
    ("merged-/usr links and legacy directory entries", "both",
     ["/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32", "/bin", "/sbin", "/lib", "/lib64"]),
]

def reason_of(path, side):
    for reason, where, patterns in REASONS:
        if where in (side, "both") and any(fnmatch.fnmatchcase(path, p) for p in patterns):
            return reason
    return None

groups, unexplained = {}, []
for side, ours, theirs in (("mm", mm, aloft), ("aloft", aloft, mm)):
    for path in sorted(set(ours) - set(theirs)):
        reason = reason_of(path, side)
        label = f"only in {'mmdebstrap' if side == 'mm' else 'aloft'}: {path}"
        (groups.setdefault(reason, []) if reason else unexplained).append(label)
for path in sorted(set(aloft) & set(mm)):
    a, m = aloft[path], mm[path]
    if a[0] != m[0] or (a[0] == "link" and a[4] != m[4]) or (a[0] != "link" and a[1:4] != m[1:4]):
        label = f"differs: {path}: aloft {a[0]} {a[1]:o} {a[2]}:{a[3]} {a[4]} / mmdebstrap {m[0]} {m[1]:o} {m[2]}:{m[3]} {m[4]}"
        reason = reason_of(path, "both") or reason_of(path, "aloft") or reason_of(path, "mm")
        (groups.setdefault(reason, []) if reason else unexplained).append(label)

print(f"aloft: {len(aloft)} paths; mmdebstrap: {len(mm)} paths of the lock's packages "
      f"(left out: {len(foreign)} paths of {len(extra_pkgs)} packages beyond the lock or that the image leaves out: {', '.join(extra_pkgs)})")
same = sum(1 for p in set(aloft) & set(mm) if aloft[p] == mm[p])
print(f"identical path, type, mode, owner and link target: {same}")
for reason, items in groups.items():
    print(f"\n== expected: {reason} ({len(items)})")
    for item in items[:8]:
        print("  " + item)
    if len(items) > 8:
        print(f"  ... and {len(items) - 8} more")
print(f"\n== unexplained ({len(unexplained)})")
for item in unexplained:
    print("  " + item)
# Generated contents that must be byte-identical to what the scripts made.
def content_aloft(path):
    data = None
    for layer in manifest["layers"]:
        with tarfile.open(blob(layer["digest"]), "r:gz") as t:
            try:
                member = t.getmember(path.lstrip("/"))
            except KeyError:
                continue
            if member.isfile():
                data = t.extractfile(member).read()
    return data

def content_mm(path):
    with tarfile.open(mm_tar) as t:
        for name in ("." + path, path.lstrip("/")):
            try:
                return t.extractfile(t.getmember(name)).read()
            except KeyError:
                pass
    return None

mismatched = 0
for path in ("/etc/ssl/certs/ca-certificates.crt", "/etc/ca-certificates.conf"):
    ours, theirs = content_aloft(path), content_mm(path)
    if ours is not None and ours == theirs:
        print(f"\n{path}: identical ({len(ours)} bytes)")
    else:
        mismatched += 1
        print(f"\n{path}: DIFFERS (aloft {len(ours or b'')} bytes, mmdebstrap {len(theirs or b'')} bytes)")
sys.exit(1 if unexplained or mismatched else 0)
PY
