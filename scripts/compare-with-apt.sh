#!/usr/bin/env bash
# compare-with-apt.sh — check an aloft lockfile against what apt would install.
#
# Usage:
#   scripts/compare-with-apt.sh LOCKFILE [ARCH] [PACKAGE...]
#
#   LOCKFILE  an aloft lockfile (lockfiles/<stem>.lock.json)
#   ARCH      Debian architecture to compare (default: amd64); must be a key of
#             the lock's `packages`
#   PACKAGE   optional: the packages to request from apt (apt syntax: name,
#             name=version, name/suite). Without them the list is read from the
#             manifest files the lock records (see below).
#
# What it does:
#   1. Reads the lock's `repositories` (archive/suite/components) and, unless
#      packages are given, its `manifest.files` (paths relative to the lock's
#      directory). From each file, and from any file it `include:`s, it takes the
#      `contents.packages` entries (aloft syntax `name`, `name=version`,
#      `name/suite`, `name/suite=version`; mapped to apt's `name=version` or
#      `name/suite`) and the `contents.exclude` entries. YAML is parsed with
#      PyYAML when python3 has it, otherwise with a small built-in parser that
#      understands the forms used in manifests/: `contents:` mapping with
#      `packages:`/`exclude:` as block lists (`- name`) or flow lists (`[a, b]`).
#   2. Builds an isolated apt root in a mktemp directory (removed on exit):
#      own sources.list (`deb [arch=ARCH signed-by=KEYRING] ...` per lock
#      repository), EMPTY dpkg status, own state/cache/lists dirs, no host
#      apt.conf.d / preferences / trusted keys (APT_CONFIG is read before the
#      host's config, and it points Dir::Etc::* away from /etc/apt).
#      APT::Architecture(s)=ARCH, so a foreign arch can be simulated.
#      Excluded packages get Pin-Priority -1 (apt then picks other alternatives;
#      unlike aloft, apt fails on a hard dependency on an excluded package).
#   3. `apt-get update`, then
#      `apt-get install --simulate --no-install-recommends PACKAGES`, and parses
#      the `Inst NAME (VERSION ...)` lines.
#   4. Prints, for each lock repository, whether the InRelease apt downloaded
#      has the sha256 recorded in the lock (a different archive state explains
#      version differences), then the diff of the (name, version) sets.
#
# Exit status: 0 the sets are equal, 1 they differ, 2 usage/setup/apt error.
#
# Environment:
#   ALOFT_MIRROR   base URL of the Debian archive (http://HOST/debian); the
#                  security archive is that URL with `-security` appended.
#                  Default: the `.../debian` and `.../debian-security` URIs of
#                  this host's apt sources (/etc/apt/sources.list{,.d/*}).
#   ALOFT_KEYRING  keyring for signed-by (default:
#                  /usr/share/keyrings/debian-archive-keyring.gpg).
#   ALOFT_KEEP_ROOT=1  keep the apt root and print how to query it, e.g.
#                  `APT_CONFIG=DIR/apt.conf apt-cache show php8.4-fpm`.
#
# Needs: bash, python3, apt-get/apt-cache (any recent apt; a bookworm apt 2.6
# simulating trixie lists works), sha256sum. Never touches /var/lib/apt or
# /etc/apt (only reads the host's sources to find the mirror).

set -euo pipefail

die() { echo "compare-with-apt: $*" >&2; exit 2; }

[[ $# -ge 1 && $1 != -h && $1 != --help ]] || {
    sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}
lock=$1
arch=${2:-amd64}
shift $(( $# >= 2 ? 2 : 1 ))
extra_packages=("$@")

[[ -f $lock ]] || die "no such lockfile: $lock"
command -v python3 >/dev/null || die "python3 is needed"
command -v apt-get >/dev/null || die "apt-get is needed"
keyring=${ALOFT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
[[ -r $keyring ]] || die "keyring not readable: $keyring"

# --- mirror ------------------------------------------------------------------
host_uris() {
    # URIs from one-line and deb822 host sources, one per line.
    {
        cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]\+\).*/\2/p'
        cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
            | sed -n 's/^URIs:[[:space:]]*//p' | tr ' \t' '\n\n'
    } | sed '/^$/d; s:/*$::'
}
if [[ -n ${ALOFT_MIRROR:-} ]]; then
    mirror=${ALOFT_MIRROR%/}
    security_mirror=$mirror-security
else
    mirror=$(host_uris | grep -E '^[a-z+]+://.*/debian$' | head -n1 || true)
    security_mirror=$(host_uris | grep -E '^[a-z+]+://.*/debian-security$' | head -n1 || true)
    [[ -n $mirror ]] || die "no .../debian URI in the host's apt sources; set ALOFT_MIRROR"
    security_mirror=${security_mirror:-$mirror-security}
fi

# --- read lock + manifests -----------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/compare-with-apt.XXXXXX")
if [[ ${ALOFT_KEEP_ROOT:-0} == 1 ]]; then
    trap 'echo "apt root kept: APT_CONFIG=$work/apt.conf apt-cache show PKG" >&2' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi

# Writes $work/repos.tsv (archive suite components...), $work/request.txt (apt
# package args), $work/exclude.txt, $work/lock.txt (name version), and
# $work/inrelease.tsv (archive suite sha256 date).
python3 - "$lock" "$arch" "$work" "${extra_packages[@]}" <<'PY' || exit 2
import json, os, re, sys

lock_path, arch, work, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(lock_path) as f:
    lock = json.load(f)

def fail(msg):
    print(f"compare-with-apt: {msg}", file=sys.stderr)
    sys.exit(2)

if arch not in lock.get("packages", {}):
    fail(f"the lock has no packages for {arch} (has: {', '.join(lock.get('packages', {}))})")

with open(os.path.join(work, "repos.tsv"), "w") as out:
    for r in lock["repositories"]:
        out.write("\t".join([r["archive"], r["suite"], *r.get("components", ["main"])]) + "\n")
with open(os.path.join(work, "inrelease.tsv"), "w") as out:
    for r in lock["repositories"]:
        out.write(f"{r['archive']}\t{r['suite']}\t{r.get('inrelease_sha256', '-')}\t{r.get('date', '-')}\n")
with open(os.path.join(work, "lock.txt"), "w") as out:
    for p in lock["packages"][arch]:
        out.write(f"{p['name']} {p['version']}\n")

# --- manifest parsing ---
try:
    import yaml  # PyYAML
except ImportError:
    yaml = None

def unquote(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s

def strip_comment(line):
    # a '#' at line start or after whitespace, outside quotes, starts a comment
    q = None
    for i, c in enumerate(line):
        if q:
            if c == q:
                q = None
        elif c in "'\"":
            q = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line

def flow_list(text):
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return [unquote(text)] if text else []
    return [unquote(x) for x in text[1:-1].split(",") if x.strip()]

def mini_parse(text):
    """Just enough YAML for manifests/: include, contents.packages, contents.exclude."""
    lines = [strip_comment(l).rstrip() for l in text.splitlines()]
    lines = [l for l in lines if l.strip() and l.strip() != "---"]
    indent = lambda l: len(l) - len(l.lstrip(" "))
    doc = {}
    def block_after(i, key_indent):
        items, j = [], i + 1
        while j < len(lines):
            l = lines[j]
            if indent(l) < key_indent or (indent(l) == key_indent and not l.lstrip().startswith("- ")):
                break
            if indent(l) >= key_indent and l.lstrip().startswith("- "):
                items.append(unquote(l.lstrip()[2:]))
            j += 1
        return items, j
    i = 0
    while i < len(lines):
        l = lines[i]
        m = re.match(r"^(\S[^:]*):\s*(.*)$", l)
        if not m:
            i += 1
            continue
        key, rest = m.group(1).strip(), m.group(2)
        if key == "include":
            if rest:
                doc["include"] = flow_list(rest)
                i += 1
            else:
                doc["include"], i = block_after(i, 0)
            continue
        if key == "contents":
            contents, j = {}, i + 1
            while j < len(lines) and indent(lines[j]) > 0:
                cl = lines[j]
                cm = re.match(r"^(\s+)([\w-]+):\s*(.*)$", cl)
                if cm and cm.group(2) in ("packages", "exclude"):
                    if cm.group(3):
                        contents[cm.group(2)] = flow_list(cm.group(3))
                        j += 1
                    else:
                        contents[cm.group(2)], j = block_after(j, len(cm.group(1)))
                    continue
                j += 1
            doc["contents"] = contents
            i = j
            continue
        i += 1
    return doc

def load(path):
    with open(path) as f:
        text = f.read()
    if yaml is not None:
        return yaml.safe_load(text) or {}
    return mini_parse(text)

requests, excludes, seen = [], [], set()

def visit(path):
    path = os.path.normpath(path)
    if path in seen:
        return
    seen.add(path)
    if not os.path.isfile(path):
        fail(f"manifest file not found: {path}")
    doc = load(path)
    inc = doc.get("include") or []
    for item in ([inc] if isinstance(inc, str) else inc):
        visit(os.path.join(os.path.dirname(path), item))  # includes come first
    contents = doc.get("contents") or {}
    for spec in contents.get("packages") or []:
        requests.append(str(spec).strip())
    for name in contents.get("exclude") or []:
        excludes.append(str(name).strip())

if extra:
    apt_args = extra
    print("requested (command line): " + " ".join(apt_args), file=sys.stderr)
else:
    files = lock.get("manifest", {}).get("files", [])
    if not files:
        fail("the lock records no manifest files; pass the packages as arguments")
    base = os.path.dirname(os.path.abspath(lock_path))
    for f in files:
        visit(os.path.join(base, f))
    apt_args = []
    for spec in requests:
        rest, _, version = spec.partition("=")
        name, _, suite = rest.partition("/")
        name, version, suite = name.strip(), version.strip(), suite.strip()
        arg = f"{name}={version}" if version else (f"{name}/{suite}" if suite else name)
        if arg not in apt_args:
            apt_args.append(arg)
    print(f"manifest files: {', '.join(sorted(seen))}", file=sys.stderr)
    print(f"requested ({len(apt_args)}): {' '.join(apt_args)}", file=sys.stderr)
    if excludes:
        print(f"excluded: {' '.join(excludes)}", file=sys.stderr)
with open(os.path.join(work, "request.txt"), "w") as out:
    out.write("\n".join(apt_args) + "\n")
with open(os.path.join(work, "exclude.txt"), "w") as out:
    out.write("".join(e + "\n" for e in excludes))
PY

# --- isolated apt root ---------------------------------------------------------
mkdir -p "$work"/{etc/apt.conf.d,etc/preferences.d,etc/trusted.gpg.d,state/lists/partial,cache/archives/partial,log}
: > "$work/status"
: > "$work/etc/apt.conf"
: > "$work/etc/trusted.gpg"

: > "$work/etc/sources.list"
while IFS=$'\t' read -r archive suite components; do
    case $archive in
        debian) url=$mirror ;;
        debian-security) url=$security_mirror ;;
        *) die "don't know the URL of archive '$archive' (only debian, debian-security)" ;;
    esac
    echo "deb [arch=$arch signed-by=$keyring] $url $suite ${components//$'\t'/ }" >> "$work/etc/sources.list"
done < "$work/repos.tsv"

: > "$work/etc/preferences"
while read -r name; do
    [[ -n $name ]] || continue
    printf 'Package: %s\nPin: release *\nPin-Priority: -1\n\n' "$name" >> "$work/etc/preferences"
done < "$work/exclude.txt"

cat > "$work/apt.conf" <<EOF
Dir::Etc::main "$work/etc/apt.conf";
Dir::Etc::parts "$work/etc/apt.conf.d";
Dir::Etc::SourceList "$work/etc/sources.list";
Dir::Etc::SourceParts "/dev/null";
Dir::Etc::Preferences "$work/etc/preferences";
Dir::Etc::PreferencesParts "$work/etc/preferences.d";
Dir::Etc::Trusted "$work/etc/trusted.gpg";
Dir::Etc::TrustedParts "$work/etc/trusted.gpg.d";
Dir::State "$work/state";
Dir::State::Lists "$work/state/lists";
Dir::State::status "$work/status";
Dir::State::extended_states "$work/state/extended_states";
Dir::Cache "$work/cache";
Dir::Cache::archives "$work/cache/archives";
Dir::Log "$work/log";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
Debug::NoLocking "1";
EOF
export APT_CONFIG=$work/apt.conf

echo "mirror: $mirror  security: $security_mirror  arch: $arch" >&2
if ! apt-get -q update > "$work/update.log" 2>&1; then
    cat "$work/update.log" >&2
    die "apt-get update failed"
fi
if grep -qE '^(W|E|Err):' "$work/update.log"; then
    grep -E '^(W|E|Err):' "$work/update.log" >&2
fi

mapfile -t request < "$work/request.txt"
if ! apt-get -q --simulate --no-install-recommends install "${request[@]}" > "$work/simulate.log" 2>&1; then
    cat "$work/simulate.log" >&2
    die "apt-get install --simulate failed"
fi
sed -n 's/^Inst \([^ :]*\)\(:[^ ]*\)\{0,1\} (\([^ ]*\) .*/\1 \3/p' "$work/simulate.log" > "$work/apt.txt"
[[ -s $work/apt.txt ]] || { cat "$work/simulate.log" >&2; die "no Inst lines in apt's output"; }

# --- InRelease check -------------------------------------------------------------
echo "== InRelease (apt's lists vs lock)"
while IFS=$'\t' read -r archive suite want_sha want_date; do
    case $archive in debian) url=$mirror ;; *) url=$security_mirror ;; esac
    f=$(compgen -G "$work/state/lists/*_${url##*/}_dists_${suite}_InRelease" | head -n1 || true)
    if [[ -z $f ]]; then
        echo "$archive/$suite: no InRelease in apt's lists (Release+Release.gpg?)"
        continue
    fi
    got_sha=$(sha256sum "$f" | cut -d' ' -f1)
    got_date=$(sed -n 's/^Date: //p' "$f" | head -n1)
    if [[ $got_sha == "$want_sha" ]]; then
        echo "$archive/$suite: same ($got_sha, Date: $got_date)"
    else
        echo "$archive/$suite: DIFFERENT — apt $got_sha (Date: $got_date), lock $want_sha (date $want_date)"
    fi
done < "$work/inrelease.tsv"

# --- diff --------------------------------------------------------------------------
python3 - "$work/apt.txt" "$work/lock.txt" "$arch" <<'PY'
import sys
def read(p):
    d = {}
    for line in open(p):
        if line.strip():
            n, v = line.split()
            d[n] = v
    return d
apt, lock, arch = read(sys.argv[1]), read(sys.argv[2]), sys.argv[3]
only_apt = sorted(set(apt) - set(lock))
only_lock = sorted(set(lock) - set(apt))
changed = sorted(n for n in set(apt) & set(lock) if apt[n] != lock[n])
print(f"== {arch}: apt {len(apt)} packages, lock {len(lock)} packages")
for n in only_apt:
    print(f"+ apt only:  {n} {apt[n]}")
for n in only_lock:
    print(f"- lock only: {n} {lock[n]}")
for n in changed:
    print(f"~ version:   {n} apt {apt[n]} lock {lock[n]}")
if only_apt or only_lock or changed:
    print("RESULT: DIFFERENT")
    sys.exit(1)
print("RESULT: EQUAL")
PY
