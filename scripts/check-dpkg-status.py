#!/usr/bin/env python3
"""Reads an image's dpkg database back with python-debian (pip install python-debian), as
scanners (trivy, grype, syft) read distroless images: /var/lib/dpkg/status.d/<package>
paragraphs and <package>.md5sums files, from the layers of one platform of an
oci-archive. Compares them with a lock.

Usage: check-dpkg-status.py IMAGE.tar LOCK.json ARCH
Exit 0 when every locked package has exactly one record with its name, version,
architecture and source, and an md5sums file whose paths exist in the image.
"""
import gzip
import io
import json
import sys
import tarfile

from debian.deb822 import Deb822

STATUS_DIR = "var/lib/dpkg/status.d/"


def blob(archive, digest):
    return archive.extractfile("blobs/sha256/" + digest.split(":", 1)[1]).read()


def main():
    image, lock_path, arch = sys.argv[1:4]
    lock = json.load(open(lock_path))
    archive = tarfile.open(image)
    top = json.loads(archive.extractfile("index.json").read())
    index = json.loads(blob(archive, top["manifests"][0]["digest"]))
    wanted = [m for m in index["manifests"] if m.get("platform", {}).get("architecture") == arch]
    if len(wanted) != 1:
        sys.exit(f"{image}: no single {arch} manifest")
    manifest = json.loads(blob(archive, wanted[0]["digest"]))
    records, md5sums, paths = {}, {}, set()
    for layer in manifest["layers"]:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(archive, layer["digest"])))) as tar:
            for member in tar.getmembers():
                paths.add(member.name.lstrip("./"))
                if not member.name.startswith(STATUS_DIR) or not member.isfile():
                    continue
                name = member.name[len(STATUS_DIR):]
                data = tar.extractfile(member).read().decode()
                if name.endswith(".md5sums"):
                    md5sums[name[: -len(".md5sums")]] = data
                else:
                    paragraphs = list(Deb822.iter_paragraphs(io.StringIO(data)))
                    if len(paragraphs) != 1:
                        sys.exit(f"{member.name}: {len(paragraphs)} paragraphs, expected 1")
                    records[name] = paragraphs[0]
    problems = []
    # Packages the image leaves out (only maintainer scripts use them) have no record.
    locked = {p["name"]: p for p in lock["packages"][arch] if "left_out" not in p}
    if set(records) != set(locked):
        problems.append(f"records {sorted(set(records) ^ set(locked))} differ from the lock")
    for name, package in locked.items():
        record = records.get(name)
        if record is None:
            continue
        source = record.get("Source", name).split(" ")[0]
        for field, value, expected in [
            ("Package", record.get("Package"), name),
            ("Version", record.get("Version"), package["version"]),
            ("Architecture", record.get("Architecture"), package["architecture"]),
            ("Source", source, package["source"]),
        ]:
            if value != expected:
                problems.append(f"{name}: {field} is {value!r}, the lock says {expected!r}")
        for line in md5sums.get(name, "").splitlines():
            path = line.split("  ", 1)[1]
            if path not in paths:
                problems.append(f"{name}.md5sums names {path}, which the image does not have")
    for problem in problems[:50]:
        print(f"{image} {arch}: {problem}")
    if problems:
        sys.exit(1)
    print(f"{image} {arch}: {len(records)} dpkg records read back by python-debian, "
          f"{len(md5sums)} md5sums files, as the lock")


main()
