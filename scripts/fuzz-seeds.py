#!/usr/bin/env python3
"""Makes fuzz/seeds/<target>/ from real trixie files: the seed corpora the fuzz targets
start from (fuzz/README.md).

Reads aloft's cache (indexes and .debs that `aloft lock` and `aloft assemble` of the
repo's manifests put there) and the repo's own manifests and locks. Each seed is small:
libFuzzer mutates best from inputs of a few KB.

    scripts/fuzz-seeds.py [--cache DIR]    # default: $ALOFT_CACHE_DIR or ~/.cache/aloft
"""

import argparse
import hashlib
import io
import json
import os
import pathlib
import random
import subprocess
import sys
import tarfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"


def write(target, data):
    """Writes one seed, named by its sha1 as libFuzzer names corpus files."""
    if isinstance(data, str):
        data = data.encode()
    directory = SEEDS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def indexes(cache):
    """Every cached Packages index (uncompressed), largest first."""
    files = sorted(
        (cache / "indexes-v1" / "sha256").glob("*"), key=lambda p: -p.stat().st_size
    )
    return [f for f in files if f.read_bytes()[:9] == b"Package: "]


def debs(cache):
    """Cached .debs, smallest first."""
    return sorted(
        (cache / "debs-v1" / "sha256").glob("*"), key=lambda p: p.stat().st_size
    )


def control_member(deb, name):
    """`name` from the control tar of `deb`, or None (uses dpkg-deb)."""
    result = subprocess.run(
        ["dpkg-deb", "--ctrl-tarfile", str(deb)], capture_output=True, check=False
    )
    if result.returncode != 0:
        return None
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as tar:
        for member in tar.getmembers():
            if member.name.lstrip("./") == name:
                handle = tar.extractfile(member)
                return handle.read() if handle else None
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("ALOFT_CACHE_DIR") or str(pathlib.Path.home() / ".cache/aloft")
    parser.add_argument("--cache", default=default)
    cache = pathlib.Path(parser.parse_args().cache)
    rng = random.Random(7)

    # deb822 and versions: paragraphs of a real Packages index, and its relation fields.
    packages = indexes(cache)
    if not packages:
        sys.exit(f"no Packages index in {cache}: run `aloft lock manifests/php-cli.yaml` first")
    paragraphs = packages[0].read_text().split("\n\n")
    for paragraph in rng.sample(paragraphs, 40):
        write("deb822", paragraph + "\n")
    for start in range(0, 200, 20):
        write("deb822", "\n\n".join(paragraphs[start : start + 5]) + "\n")
    relations = []
    versions = []
    for paragraph in rng.sample(paragraphs, 400):
        for line in paragraph.splitlines():
            field, _, value = line.partition(": ")
            if field in ("Depends", "Pre-Depends", "Provides", "Breaks", "Conflicts"):
                relations.append(value)
            elif field == "Version":
                versions.append(value)
    for relation in relations[:60]:
        a, b = rng.sample(versions, 2)
        write("versions", f"{a}\n{b}\n{relation}")
    for odd in ["1:2.0~rc1-1+deb13u1", "0~~a", "2.0-1~bpo12+1", "1.0+dfsg-3.1"]:
        write("versions", f"{odd}\n{rng.choice(versions)}\nlibc6 (>= 2.38), a | b:any (<< 3)")

    # inrelease: the cached, genuinely signed InRelease files, whole.
    for inrelease in (cache / "indexes-v1" / "releases").glob("*/InRelease"):
        write("inrelease", inrelease.read_bytes())
        # A Release alone exercises the deb822 target's Release parser too.
        text = inrelease.read_text(errors="replace")
        body = text.split("\n\n", 1)[-1].split("-----BEGIN PGP SIGNATURE-----")[0]
        write("deb822", body[:4000])

    # deb: the smallest real .debs (the ar, both tars, xz and zstd members).
    for deb in debs(cache)[:6]:
        write("deb", deb.read_bytes())

    # maintscript: real preinst and postinst scripts of the cached packages.
    scripts = 0
    for deb in debs(cache):
        if scripts >= 60:
            break
        for name in ("preinst", "postinst"):
            text = control_member(deb, name)
            if text and len(text) < 16_000:
                write("maintscript", text)
                scripts += 1

    # manifest and lockfile: the repo's own.
    for manifest in sorted((ROOT / "manifests").glob("**/*.yaml")) + sorted(
        (ROOT / "examples").glob("*.yaml")
    ):
        write("manifest", manifest.read_bytes())
    for lock in sorted((ROOT / "lockfiles").glob("*.lock.json")):
        text = json.loads(lock.read_text())
        # Three packages per architecture keep a seed small and every field present.
        text["packages"] = {arch: pkgs[:3] for arch, pkgs in text["packages"].items()}
        write("lockfile", json.dumps(text, indent=2) + "\n")

    for target in sorted(SEEDS.iterdir()):
        files = list(target.iterdir())
        size = sum(f.stat().st_size for f in files)
        print(f"{target.name}: {len(files)} seeds, {size // 1024} KiB")


if __name__ == "__main__":
    main()
