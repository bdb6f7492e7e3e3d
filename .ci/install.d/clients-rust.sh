#!/usr/bin/env bash
# The Rust client (clients/rust): the toolchain comes with this machine kind
# (~/.cargo/bin: cargo, rustc, clippy); this fetches the crate's dependencies at the
# versions pinned in Cargo.lock and builds them once (tests, examples and clippy's
# check data), so the suite itself only compiles the crate.
set -euo pipefail
cd "$(dirname "$0")/../../clients/rust"
command -v cargo >/dev/null || { echo "clients-rust: cargo is missing (expected in ~/.cargo/bin)" >&2; exit 1; }
cargo clippy --version >/dev/null || { echo "clients-rust: clippy is missing (rustup component add clippy)" >&2; exit 1; }
cargo --version >&2
start=$(date +%s)
cargo fetch --locked
cargo build --locked --all-targets -j2
cargo clippy --locked --all-targets -j2 -- -D warnings
echo "clients-rust: dependencies built in $(( $(date +%s) - start )) s" >&2
