#!/usr/bin/env python3
"""script-coverage.py — how much of what the maintainer scripts of a package set do aloft
does natively, and what it does not, ranked, so the next gap is visible.

Usage: scripts/script-coverage.py [--arch ARCH] [--dump FILE] MANIFEST... (default: every manifest in
manifests/). Each manifest is assembled (`aloft assemble --arch ARCH`, a release build or
the binary ALOFT_BIN names; the lock is made when missing) into a temporary OCI layout,
and the image's /usr/share/aloft/effects.json is read back:

  applied       every effect recorded under `packages` (one per command or rule applied,
                native replacements included)
  not applied   every entry under `not_applied` (a command, construct or config line,
                with why)

It prints, over all manifests and with packages counted once per (package, version):
the share applied, the packages with something not applied, and the reasons and unknown
commands ranked by how many packages they concern; `--dump FILE` writes every entry not
applied, by package, as JSON. Needs python3 and the archive (through
ALOFT_MIRROR or the host's apt sources) unless the cache has everything.
"""
import collections
import glob
import gzip
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import io
import re

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = sys.argv[1:]
arch = "amd64"
dump = None
while args[:1] in (["--arch"], ["--dump"]):
    if args[0] == "--arch":
        arch = args[1]
    else:
        dump = args[1]
    args = args[2:]
manifests = args or sorted(glob.glob(os.path.join(root, "manifests", "*.yaml")))
binary = os.environ.get("ALOFT_BIN")
if not binary:
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
    binary = os.path.join(root, "target", "release", "aloft")


def effects_of(layout):
    def blob(digest):
        return open(os.path.join(layout, "blobs", "sha256", digest.split(":")[1]), "rb").read()

    top = json.loads(open(os.path.join(layout, "index.json")).read())
    index = json.loads(blob(top["manifests"][0]["digest"]))
    for entry in index["manifests"]:
        if entry.get("platform", {}).get("architecture") != arch:
            continue
        manifest = json.loads(blob(entry["digest"]))
        last = manifest["layers"][-1]
        data = blob(last["digest"])
        if last["mediaType"].endswith("+gzip"):
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data)) as layer:
            return json.load(layer.extractfile("usr/share/aloft/effects.json"))
    raise SystemExit(f"no {arch} image in {layout}")


applied = {}  # package -> count
not_applied = {}  # package -> [entries]
with tempfile.TemporaryDirectory() as work:
    for manifest in manifests:
        out = os.path.join(work, os.path.basename(manifest) + ".oci/")
        lock = os.path.join(work, os.path.basename(manifest) + ".lock.json")
        subprocess.run(
            [binary, "assemble", manifest, "--arch", arch, "--lockfile", lock, "-q", "-o", out],
            check=True, stdout=subprocess.DEVNULL,
        )
        record = effects_of(out)
        for package, effects in record["packages"].items():
            applied[package] = len(effects)
        for package, entries in record["not_applied"].items():
            not_applied[package] = entries

if dump:
    with open(dump, "w") as out:
        json.dump(not_applied, out, indent=1, sort_keys=True)

total_applied = sum(applied.values())
total_not = sum(len(v) for v in not_applied.values())
packages = set(applied) | set(not_applied)
share = 100.0 * total_applied / max(1, total_applied + total_not)
print(f"{len(manifests)} manifests, {len(packages)} packages with scripts or rules that did something")
print(f"applied natively: {total_applied}; not applied: {total_not}; share applied: {share:.1f}%")
print(f"packages with something not applied: {len(not_applied)}")

def cause(why):
    """The underlying cause of a reason: `VAR` (line N): CAUSE -> CAUSE, first clause."""
    while why.startswith("`") and "): " in why:
        why = why.split("): ", 1)[1]
    return why.split("; ")[0][:110]


reasons = collections.Counter()
unknown = collections.Counter()
for package, entries in not_applied.items():
    for why in {cause(e["why"]) for e in entries}:
        reasons[why] += 1
    labels = set()
    for entry in entries:
        if entry["why"] != "unknown command":
            continue
        # Inside a helper the image ships: `/usr/sbin/update-shells:150: cmd ...`.
        helper = re.match(r"^(/\S+):\d+: (.*)$", entry["what"], re.S)
        text = helper.group(2) if helper else entry["what"]
        if text.split():
            label = text.split()[0] + (f" (in {helper.group(1)})" if helper else "")
            labels.add(label)
    for label in labels:
        unknown[label] += 1
print("\nwhy not applied (packages concerned):")
for why, n in reasons.most_common(25):
    print(f"  {n:4d}  {why[:110]}")
print("\nunknown commands (packages concerned):")
for command, n in unknown.most_common(25):
    print(f"  {n:4d}  {command}")
