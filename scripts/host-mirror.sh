#!/usr/bin/env bash
# Prints the base URL of the Debian archive: ALOFT_MIRROR, else the first URI of the
# host's apt sources whose path ends in /debian. Read at run time, never written down.
set -euo pipefail
if [ -n "${ALOFT_MIRROR:-}" ]; then
  echo "${ALOFT_MIRROR%/}"
  exit 0
fi
python3 - <<'PY'
import glob, re, sys
files = glob.glob("/etc/apt/sources.list.d/*.sources") + glob.glob("/etc/apt/sources.list.d/*.list") + ["/etc/apt/sources.list"]
for name in files:
    try:
        text = open(name).read()
    except OSError:
        continue
    for uri in re.findall(r"(?:^URIs:|^deb(?:\s+\[[^\]]*\])?)\s+(\S+)", text, re.M):
        if uri.rstrip("/").endswith("/debian"):
            print(uri.rstrip("/"))
            sys.exit(0)
sys.exit("no Debian archive in the host's apt sources: set ALOFT_MIRROR")
PY
