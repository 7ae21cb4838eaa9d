#!/bin/sh
# Runs every fuzz target (or those named) for SECONDS each, from the committed seeds
# (fuzz/seeds/TARGET) and what earlier runs found (fuzz/corpus/TARGET, not committed).
# Exits non-zero on the first crash, hang or leak; libFuzzer leaves the input in
# fuzz/artifacts/TARGET/.
#
#   scripts/fuzz.sh SECONDS [TARGET...]     # CI: scripts/fuzz.sh 20
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`).
set -eu
seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
cd "$(dirname "$0")/../fuzz"
targets=${*:-$(cargo +nightly fuzz list)}
cargo +nightly fuzz build
for target in $targets; do
    mkdir -p "corpus/$target"
    echo "fuzz: $target for ${seconds}s"
    # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: 2 GiB is a leak.
    cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 2>&1 | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|Done)|panicked|ERROR' || true
    # grep's filter must not hide a failure: a crash leaves an artifact.
    if ls "artifacts/$target"/crash-* "artifacts/$target"/timeout-* "artifacts/$target"/leak-* "artifacts/$target"/oom-* >/dev/null 2>&1; then
        echo "fuzz: $target found a failing input:" artifacts/"$target"/*
        exit 1
    fi
done
