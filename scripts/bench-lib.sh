#!/usr/bin/env bash
# Helpers shared by scripts/bench-replay.sh, bench-scaling.sh and bench-e2e.sh (sourced,
# not run): timing, medians, the data files (simulated, cached under target/), and the
# DuckDB reference (installed with pip into target/tools/ when missing).

bench_log() { printf '%s\n' "$*" >&2; }
bench_die() {
  bench_log "${BENCH_NAME:-bench}: $*"
  exit 1
}
now() { date +%s.%N; }
# elapsed START [END]: seconds between two `now` readings.
elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.3f", b - a }'; }
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# calc EXPR: floating-point arithmetic via awk (2 decimals).
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
# json_num JSON FIELD: a numeric field of a flat one-line JSON object.
json_num() { sed -E "s/.*\"$2\":(-?[0-9.]+).*/\\1/" <<<"$1"; }

# Sets BENCH_ROOT, TARGET, BIN, BARE, MEMORY after a release build of everything.
# BIN is the profile-guided build (scripts/build-pgo.sh), as deploy/Dockerfile builds
# it; BENCH_PGO=0 measures the plain `cargo build --release` binary instead.
bench_build() {
  BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cd "$BENCH_ROOT" || exit 1
  if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    bench_log "== building (release)"
    cargo build --release --examples --bins >&2
    if [[ ${BENCH_PGO:-1} == 1 ]]; then
      bench_log "== building (profile-guided: scripts/build-pgo.sh)"
      scripts/build-pgo.sh >/dev/null
    fi
  fi
  TARGET=$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')
  # shellcheck disable=SC2034 # BENCH_BUILD_KIND is read by the scripts that source this file
  if [[ ${BENCH_PGO:-1} == 1 ]]; then
    BIN=$TARGET/pgo/hotline-pulse BENCH_BUILD_KIND=profile-guided
    bench_log "== hotline-pulse: the profile-guided build ($BIN; BENCH_PGO=0 for the plain one)"
  else
    BIN=$TARGET/release/hotline-pulse BENCH_BUILD_KIND=plain
    bench_log "== hotline-pulse: the plain release build ($BIN)"
  fi
  BARE=$TARGET/release/examples/bare_consumer
  MEMORY=$TARGET/release/examples/memory
  for b in "$BIN" "$BARE" "$MEMORY"; do [[ -x $b ]] || bench_die "missing $b"; done
  [[ -x /usr/bin/time ]] || bench_die "GNU time (/usr/bin/time) is required for max RSS"
  BENCH_DATA=${BENCH_DATA_DIR:-$TARGET/bench-data}
  mkdir -p "$BENCH_DATA"
}

# The 10 centres of the province stream (Hainan's cities and counties).
PROVINCE_CENTRES=(海口 三亚 儋州 琼海 文昌 万宁 东方 五指山 定安 屯昌)

# centre_file CENTRE_INDEX ORDERS MONTH: path of one centre's simulated month (seed =
# index + 1, `center` set, order and event ids prefixed per centre so that ids are
# distinct across centres), generated once and cached.
centre_file() {
  local i=$1 orders=$2 month=$3 f
  f=$BENCH_DATA/centre-$i-$orders-$month.jsonl
  if [[ ! -s $f ]]; then
    # Ids look like HX23010160290001: the centre's index replaces the X.
    "$BIN" --log warn simulate --profile haikou --orders "$orders" --month "$month" \
      --seed "$((i + 1))" --sim-center "${PROVINCE_CENTRES[i]}" |
      sed "s/\"HX/\"H$i/g" >"$f.tmp"
    mv "$f.tmp" "$f"
  fi
  printf '%s\n' "$f"
}

# stream_file CENTRES ORDERS [MONTH]: CENTRES centres' months interleaved line by line
# (each centre's stream stays in its own order, the centres advance together as a
# province's would), cached. One centre is the plain file.
stream_file() {
  local n=$1 orders=$2 month=${3:-2023-01} f i files=()
  for ((i = 0; i < n; i++)); do files+=("$(centre_file "$i" "$orders" "$month")"); done
  if ((n == 1)); then
    printf '%s\n' "${files[0]}"
    return
  fi
  f=$BENCH_DATA/stream-$n-$orders-$month.jsonl
  if [[ ! -s $f ]]; then
    paste -d '\n' "${files[@]}" | grep -v '^$' >"$f.tmp"
    mv "$f.tmp" "$f"
  fi
  printf '%s\n' "$f"
}

# Makes `import duckdb` work (pip into target/tools/python when missing); sets
# BENCH_PYTHONPATH.
ensure_duckdb() {
  local dir=$TARGET/tools/python
  BENCH_PYTHONPATH=$dir${PYTHONPATH:+:$PYTHONPATH}
  if ! PYTHONPATH=$BENCH_PYTHONPATH python3 -c 'import duckdb' 2>/dev/null; then
    bench_log "== installing duckdb (pip, into $dir)"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      --target "$dir" duckdb >&2 || bench_die "pip install duckdb failed"
  fi
  # shellcheck disable=SC2034 # read by the scripts that source this file
  DUCKDB_VERSION=$(PYTHONPATH=$BENCH_PYTHONPATH python3 -c 'import duckdb; print(duckdb.__version__)')
}

# run_replay FILE OUT: one `replay --format json` (default shards = cores) under GNU
# time; prints "wall user sys maxrss_kib".
run_replay() {
  local t0 wall
  t0=$(now)
  /usr/bin/time -f '%U %S %M' -o "$BENCH_WORK/time-hp" \
    "$BIN" --log warn replay "$1" --format json >"$2"
  wall=$(elapsed "$t0")
  printf '%s %s\n' "$wall" "$(tail -n1 "$BENCH_WORK/time-hp")"
}

# run_duckdb FILE OUT: the per-unit table in DuckDB (2 threads) under GNU time; prints
# "wall user sys maxrss_kib query_s" (query_s: connect + query + fetch, inside Python).
run_duckdb() {
  local q t0 wall
  t0=$(now)
  q=$(PYTHONPATH=$BENCH_PYTHONPATH /usr/bin/time -f '%U %S %M' -o "$BENCH_WORK/time-duck" \
    python3 "$BENCH_ROOT/scripts/bench-duckdb.py" query "$1" \
    2>&1 >"$2") || bench_die "duckdb failed: $q"
  wall=$(elapsed "$t0")
  printf '%s %s %s\n' "$wall" "$(tail -n1 "$BENCH_WORK/time-duck")" "$q"
}

# warm FILE...: reads the files once so that the timed run meets a warm page cache. On
# these VMs page-cache pages go cold within seconds (the first read after a pause copies
# at ~0.4 GB/s, the next at 3-4 GB/s), which adds 0.2-0.3 s of copying to whichever
# tool happens to run first; both tools are timed on a warm cache.
warm() {
  cat "$@" >/dev/null
}

# run_replay_files FILE...: one `replay` of several files in a row (output dropped);
# prints "wall user sys maxrss_kib".
run_replay_files() {
  local t0 wall
  t0=$(now)
  /usr/bin/time -f '%U %S %M' -o "$BENCH_WORK/time-hp" \
    "$BIN" --log warn replay "$@" --format json >/dev/null
  wall=$(elapsed "$t0")
  printf '%s %s\n' "$wall" "$(tail -n1 "$BENCH_WORK/time-hp")"
}
