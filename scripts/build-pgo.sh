#!/usr/bin/env bash
# A profile-guided release build of hotline-pulse (rustc's PGO): an instrumented build
# replays simulated months, and the release build is made again with the profile it
# wrote, so that LLVM lays out, inlines and orders branches by what the engine and the
# decoder really do. On this project's benchmarks: 11-12 % less time and CPU on a Haikou
# month and on the province stream, byte-identical output (docs/benchmarks.md).
#
# The training data is the simulator's, never the benchmarks' files: other seeds and
# months, one centre and two interleaved, and two months in a row with one month of
# retention (eviction and tombstones). The Kafka consumer's own loop is not trained
# (that needs a broker); the engine and decoder it calls are.
#
# Needs rustup's llvm-tools component (llvm-profdata of rustc's own LLVM; installed when
# missing) and the Rust toolchain of the release build. Takes two release builds and
# about a minute of training. Output: the binary at OUT (default target/pgo/hotline-pulse),
# whose path is printed on stdout. The ordinary `cargo build --release` is untouched
# (each build has its own target directory under target/pgo/).
#
# The caller's RUSTFLAGS, if any, are kept (the profile flags are added to them).
#
# Usage: scripts/build-pgo.sh [OUT]
set -euo pipefail
log() { printf 'build-pgo: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET=$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')
PGO=$TARGET/pgo
OUT=${1:-$PGO/hotline-pulse}
locked=()
[[ -f Cargo.lock ]] && locked=(--locked)

host=$(rustc -vV | sed -n 's/^host: //p')
PROFDATA=$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata
if [[ ! -x $PROFDATA ]]; then
  log "installing rustup's llvm-tools component (llvm-profdata)"
  rustup component add llvm-tools >&2 || die "rustup component add llvm-tools failed"
  [[ -x $PROFDATA ]] || die "no llvm-profdata at $PROFDATA after installing llvm-tools"
fi

RAW=$PGO/raw
WORK=$(mktemp -d "${TMPDIR:-/tmp}/build-pgo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

log "1/3 instrumented build (target/pgo/gen)"
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-Cprofile-generate=$RAW" \
  cargo build --release "${locked[@]}" --bin hotline-pulse --target-dir "$PGO/gen" >&2
# The build scripts ran instrumented too: their profiles are not the program's (nor are
# a previous run's).
rm -rf "$RAW"
mkdir -p "$RAW"

log "2/3 training: simulated months replayed"
GEN=$PGO/gen/release/hotline-pulse
sim() { "$GEN" --log warn simulate "$@"; }
sim --profile haikou --orders 100000 --month 2023-02 --seed 101 --sim-center 海口 >"$WORK/a.jsonl"
sim --profile haikou --orders 100000 --month 2023-03 --seed 101 --sim-center 海口 >"$WORK/b.jsonl"
sim --profile golmud --orders 20000 --month 2023-02 --seed 102 --sim-center 格尔木 >"$WORK/c.jsonl"
paste -d '\n' "$WORK/a.jsonl" "$WORK/c.jsonl" | grep -v '^$' >"$WORK/ac.jsonl"
replay() { "$GEN" --log warn replay "$@" >/dev/null; }
replay "$WORK/a.jsonl" --format json
replay "$WORK/ac.jsonl" --format table
replay --retention-months 1 "$WORK/a.jsonl" "$WORK/b.jsonl" --format prometheus
[[ -n $(find "$RAW" -name '*.profraw' -print -quit) ]] || die "training wrote no profile"
"$PROFDATA" merge -o "$PGO/merged.profdata" "$RAW"

log "3/3 release build with the profile (target/pgo/use)"
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-Cprofile-use=$PGO/merged.profdata" \
  cargo build --release "${locked[@]}" --bin hotline-pulse --target-dir "$PGO/use" >&2
install -D -m 0755 "$PGO/use/release/hotline-pulse" "$OUT"
log "built $OUT"
printf '%s\n' "$OUT"
