#!/usr/bin/env python3
"""Validates SBOM documents with their projects' own tools, and compares each one's
package set with a lock.

Usage: validate-sbom.py LOCK.json FILE.<arch>.spdx.json|FILE.<arch>.cyclonedx.json...

SPDX: parsed and validated by spdx-tools (pip install spdx-tools), the SPDX project's
library behind `pyspdxtools`. CycloneDX: validated against the 1.5 JSON schema by
cyclonedx-python-lib (pip install 'cyclonedx-python-lib[json-validation]').
Exit 0 when every document is valid and lists exactly the lock's packages for its arch
(those the image leaves out, `left_out` in the lock, excepted).
"""
import json
import sys


def spdx_names(path):
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    try:
        document = parse_file(path)
    except SPDXParsingError as error:
        for message in error.get_messages():
            print(f"{path}: {message}")
        return None
    messages = validate_full_spdx_document(document)
    if messages:
        for message in messages:
            print(f"{path}: {message.validation_message}")
        return None
    described = {r.related_spdx_element_id for r in document.relationships
                 if r.relationship_type.name == "DESCRIBES"}
    return sorted(p.name for p in document.packages if p.spdx_id not in described)


def cyclonedx_names(path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = open(path).read()
    error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
    if error is not None:
        print(f"{path}: {error}")
        return None
    return sorted(c["name"] for c in json.loads(text)["components"])


def main():
    lock = json.load(open(sys.argv[1]))
    failed = False
    for path in sys.argv[2:]:
        arch, kind = path.rsplit(".", 3)[1:3]
        names = spdx_names(path) if kind == "spdx" else cyclonedx_names(path)
        if names is None:
            failed = True
            continue
        # Packages the image leaves out (only maintainer scripts use them) are not in it.
        expected = sorted(p["name"] for p in lock["packages"][arch] if "left_out" not in p)
        if names != expected:
            print(f"{path}: packages differ from the lock's for {arch}: "
                  f"extra {sorted(set(names) - set(expected))}, "
                  f"missing {sorted(set(expected) - set(names))}")
            failed = True
            continue
        print(f"{path}: valid, {len(names)} packages, as the lock")
    sys.exit(1 if failed else 0)


main()
