# Developer shortcuts; CI runs .ci/run, which needs no `just`.

# The README's test command (hermetic, offline).
test:
    cargo test --workspace

# Also the live tests against the real Debian archive.
test-live:
    ALOFT_LIVE=1 cargo test --workspace

# fmt + clippy as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Re-lock every example manifest.
lock-all:
    for m in manifests/*.yaml; do cargo run --release -q -- lock "$m"; done

# Lock time with indexes cached.
bench-lock *ARGS:
    bench/lock.sh {{ARGS}}

# Compare a lock with what apt would install.
compare-apt LOCK *ARGS:
    scripts/compare-with-apt.sh {{LOCK}} {{ARGS}}
