#!/usr/bin/env python3
"""script-coverage.py — how much of what the maintainer scripts of a package set do aloft
does natively, and what it does not, ranked, so the next gap is visible.

Usage:
  scripts/script-coverage.py [--arch ARCH] [--dump FILE] MANIFEST...
  scripts/script-coverage.py [--arch ARCH] [--dump FILE] --popular N [--group G] [--suite S]

With manifests (default: every manifest in manifests/), each is assembled (`aloft assemble
--arch ARCH`, a release build or the binary ALOFT_BIN names; the lock is made when
missing) into a temporary OCI layout.

With `--popular N`, the corpus is the N packages of the suite's main (default trixie)
that the most packages install. Popcon's counts are not in the archive (and its site is
not reachable from where aloft is built), so how many packages of main have a package in
their dependency closure stands in for how often it is installed: the packages every
system has (libc6, debconf, dpkg, perl-base, tzdata) come first, as in popcon. Such a
set is closed under dependencies, so the images hold little else. The N packages are assembled in images of G
(default 100), in rank order; a group that does not lock together (two of them conflict)
or fails to assemble is split in halves until the package at fault stands alone, and is
reported.

Each image's /usr/share/aloft/effects.json is read back:

  applied       every effect recorded under `packages` (one per command or rule applied,
                native replacements included)
  not applied   every entry under `not_applied` (a command, construct or config line,
                with why), except:
  at runtime    the entries marked `at_runtime`: known, and left to the running
                container on purpose (a key pair, a machine id, a database, what only a
                booted system has); counted apart, and the share is printed both ways

Each image's layers are read for a path written twice in one layer, which `docker load`
refuses ("duplicates of file paths not supported"), and the image check's warnings are
counted.

It prints, over all images and with packages counted once: the share applied, the
packages with something not applied, and the reasons and unknown commands ranked by how
many packages they concern; `--dump FILE` writes every entry not applied, by package, as
JSON. Needs python3 and the archive (through ALOFT_MIRROR or the host's apt sources)
unless the cache has everything.
"""
import collections
import glob
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def usage(message):
    raise SystemExit(f"script-coverage.py: {message}\n" + __doc__.split("\n\n")[1])


args = sys.argv[1:]
arch, dump, popular, group_size, suite = "amd64", None, None, 100, "trixie"
while args[:1] and args[0].startswith("--"):
    option = args.pop(0)
    if not args:
        usage(f"{option} needs a value")
    value = args.pop(0)
    if option == "--arch":
        arch = value
    elif option == "--dump":
        dump = value
    elif option == "--suite":
        suite = value
    elif option in ("--popular", "--group"):
        if not value.isdigit() or int(value) == 0:
            usage(f"{option} takes a positive number, not `{value}`")
        if option == "--popular":
            popular = int(value)
        else:
            group_size = int(value)
    else:
        usage(f"unknown option {option}")
if popular and args:
    usage("--popular takes no manifests")
binary = os.environ.get("ALOFT_BIN")
if not binary:
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
    binary = os.path.join(root, "target", "release", "aloft")


def read_layout(layout):
    """The image's effects.json and the paths written twice in one of its layers."""
    def blob(digest):
        with open(os.path.join(layout, "blobs", "sha256", digest.split(":")[1]), "rb") as f:
            return f.read()

    with open(os.path.join(layout, "index.json")) as f:
        top = json.load(f)
    index = json.loads(blob(top["manifests"][0]["digest"]))
    for entry in index["manifests"]:
        if entry.get("platform", {}).get("architecture") != arch:
            continue
        manifest = json.loads(blob(entry["digest"]))
        duplicates, effects = [], None
        for position, layer in enumerate(manifest["layers"]):
            data = blob(layer["digest"])
            if layer["mediaType"].endswith("+gzip"):
                data = gzip.decompress(data)
            elif layer["mediaType"].endswith("+zstd"):
                data = subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
            seen = set()
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                for member in tar:
                    name = member.name.rstrip("/")
                    if name in seen:
                        duplicates.append(f"layer {position}: {name}")
                    seen.add(name)
                if position == len(manifest["layers"]) - 1:
                    effects = json.load(tar.extractfile("usr/share/aloft/effects.json"))
        return effects, duplicates
    raise SystemExit(f"no {arch} image in {layout}")


class Tally:
    """What the images' effects.json say, packages counted once."""

    def __init__(self):
        self.applied = {}  # package -> count
        self.not_applied = {}  # package -> [entries]
        self.at_runtime = {}  # package -> [entries] left to the running container
        self.images = 0
        self.sliced = set()  # packages kept as slices, whose scripts are not read
        self.duplicates = []  # (image, path)
        self.warnings = collections.Counter()  # image check -> how many warnings

    def add(self, name, effects, duplicates, stderr):
        self.images += 1
        for package, entries in effects["packages"].items():
            self.applied[package] = len(entries)
        for package, entries in effects["not_applied"].items():
            # A slice's scripts are not read on purpose (the manifest, or aloft for
            # libc-bin's C.UTF-8, keeps some files only): no command was there to apply.
            kept = [e for e in entries if not e["why"].startswith("the image keeps a slice")]
            if len(kept) < len(entries):
                self.sliced.add(package)
            runtime = [e for e in kept if e.get("at_runtime")]
            kept = [e for e in kept if not e.get("at_runtime")]
            if runtime:
                self.at_runtime[package] = runtime
            if kept:
                self.not_applied[package] = kept
        self.duplicates += [(name, d) for d in duplicates]
        for line in stderr.splitlines():
            if "WARN" in line and f"{arch}: " in line:
                self.warnings[line.split(f"{arch}: ", 1)[1].split(":")[0][:80]] += 1


def assemble(manifest, work, tally, name=None):
    """Locks and assembles one manifest into `work`; returns aloft's stderr on failure."""
    name = name or os.path.basename(manifest)
    out = os.path.join(work, name + ".oci/")
    lock = os.path.join(work, name + ".lock.json")
    run = subprocess.run(
        [binary, "assemble", manifest, "--arch", arch, "--lockfile", lock, "-o", out],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    if run.returncode != 0:
        return run.stderr
    effects, duplicates = read_layout(out)
    tally.add(name, effects, duplicates, run.stderr)
    subprocess.run(["rm", "-rf", out, lock], check=True)
    return None


REPOSITORIES = """contents:
  repositories:
    - {{archive: debian, suite: {suite}, components: [main]}}
    - {{archive: debian-security, suite: {suite}-security, components: [main]}}
  packages:
"""


def write_manifest(path, packages):
    with open(path, "w") as f:
        f.write(REPOSITORIES.format(suite=suite))
        f.writelines(f"    - {p}\n" for p in packages)
        f.write(f"archs: [{arch}]\n")


def stanzas(text):
    for paragraph in text.split("\n\n"):
        fields, key = {}, None
        for line in paragraph.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if "Package" in fields:
            yield fields


def suite_packages(work):
    """The suite's main Packages index for ARCH, from aloft's cache (verified there)."""
    seed = os.path.join(work, "seed.yaml")
    write_manifest(seed, ["base-files"])
    subprocess.run([binary, "lock", seed, "--lockfile", seed + ".lock", "-q"], check=True)
    cache = subprocess.run([binary, "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    wanted = f"main/binary-{arch}/Packages"
    for release in glob.glob(os.path.join(cache, "indexes-v*", "releases", "*", "InRelease")):
        text = open(release, encoding="utf-8", errors="replace").read()
        if not re.search(rf"^Codename: {re.escape(suite)}$", text, re.M) or re.search(r"^Suite: .*-security$", text, re.M):
            continue
        sha256 = text.split("\nSHA256:", 1)[-1]
        for line in sha256.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2] == wanted:
                path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(release))), "sha256", parts[0])
                if os.path.exists(path):
                    return open(path, encoding="utf-8", errors="replace").read()
    raise SystemExit(f"no verified {suite} {wanted} in {cache} after `aloft lock`")


def most_installed(index, count):
    """The `count` packages the most packages of the index install: those whose
    dependency closure (Depends and Pre-Depends, first alternatives, a virtual package
    by its first provider by name) holds them, as aloft's resolver would install it."""
    fields_of = {fields["Package"]: fields for fields in stanzas(index)}
    providers = collections.defaultdict(list)
    for package, fields in fields_of.items():
        for provided in fields.get("Provides", "").split(","):
            name = re.sub(r"[\s(].*", "", provided.strip())
            if name:
                providers[name].append(package)
    needs = {}
    for package, fields in fields_of.items():
        names = set()
        for field in ("Depends", "Pre-Depends"):
            for relation in fields.get(field, "").split(","):
                first = re.sub(r"[\s(\[<].*", "", relation.strip().split("|")[0].strip()).split(":")[0]
                if first in fields_of:
                    names.add(first)
                elif providers.get(first):
                    names.add(min(providers[first]))
        names.discard(package)
        needs[package] = names
    installs = collections.Counter()
    for package in fields_of:
        closure, stack = {package}, [package]
        while stack:
            for needed in needs[stack.pop()]:
                if needed not in closure:
                    closure.add(needed)
                    stack.append(needed)
        installs.update(closure)
    return [p for p, _ in sorted(installs.items(), key=lambda item: (-item[1], item[0]))[:count]]


def build_popular(work, tally, failures):
    candidates = most_installed(suite_packages(work), popular)
    print(f"corpus: the {len(candidates)} packages of {suite}/main ({arch}) that the most packages install; "
          f"first {', '.join(candidates[:8])}; last {candidates[-1]}", file=sys.stderr)
    pending = [candidates[i:i + group_size] for i in range(0, len(candidates), group_size)]
    number = 0
    while pending:
        group = pending.pop(0)
        number += 1
        name = f"popular-{number:03d}"
        manifest = os.path.join(work, name + ".yaml")
        write_manifest(manifest, group)
        print(f"{name}: {len(group)} packages ({group[0]} .. {group[-1]})", file=sys.stderr)
        error = assemble(manifest, work, tally, name)
        if error is None:
            continue
        if len(group) == 1:
            reason = next((l.strip() for l in error.splitlines() if l.strip()), "failed")
            failures.append((group[0], reason[:200]))
            continue
        half = len(group) // 2
        pending[:0] = [group[:half], group[half:]]


tally = Tally()
failures = []
with tempfile.TemporaryDirectory() as work:
    if popular:
        build_popular(work, tally, failures)
    else:
        manifests = args or sorted(glob.glob(os.path.join(root, "manifests", "*.yaml")))
        for manifest in manifests:
            error = assemble(manifest, work, tally)
            if error is not None:
                raise SystemExit(f"{manifest} did not assemble:\n{error}")

if dump:
    with open(dump, "w") as out:
        json.dump({"not_applied": tally.not_applied, "at_runtime": tally.at_runtime}, out, indent=1, sort_keys=True)

applied, not_applied = tally.applied, tally.not_applied
total_applied = sum(applied.values())
total_not = sum(len(v) for v in not_applied.values())
total_runtime = sum(len(v) for v in tally.at_runtime.values())
packages = set(applied) | set(not_applied) | set(tally.at_runtime)
share = 100.0 * total_applied / max(1, total_applied + total_not)
share_all = 100.0 * total_applied / max(1, total_applied + total_not + total_runtime)
print(f"{tally.images} images, {len(packages)} packages with scripts or rules that did something")
print(f"applied natively: {total_applied}; not applied: {total_not}; share applied: {share:.1f}%")
print(f"left to the running container on purpose (machine ids, keys, databases, what only a booted system has): "
      f"{total_runtime} in {len(tally.at_runtime)} packages; share applied counting them as not applied: {share_all:.1f}%")
print(f"packages with something not applied: {len(not_applied)}")
print(f"packages kept as slices, scripts not read: {len(tally.sliced)} ({', '.join(sorted(tally.sliced))})")
print(f"paths written twice in a layer (docker load refuses the image): {len(tally.duplicates)}")
for image, path in tally.duplicates[:10]:
    print(f"  {image}: {path}")
if failures:
    print(f"packages that did not lock or assemble: {len(failures)}")
    for package, reason in failures:
        print(f"  {package}: {reason}")
if tally.warnings:
    print("\nimage check warnings (images concerned):")
    for what, n in tally.warnings.most_common(10):
        print(f"  {n:4d}  {what}")


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
runtime_reasons = collections.Counter()
for package, entries in tally.at_runtime.items():
    for why in {cause(e["why"]) for e in entries}:
        runtime_reasons[why] += 1
if runtime_reasons:
    print("\nleft to the running container (packages concerned):")
    for why, n in runtime_reasons.most_common(10):
        print(f"  {n:4d}  {why[:110]}")
print("\nunknown commands (packages concerned):")
for command, n in unknown.most_common(25):
    print(f"  {n:4d}  {command}")
sys.exit(1 if tally.duplicates else 0)
