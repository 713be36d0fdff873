#!/usr/bin/env bash
# Events/s against stream size, hotline-pulse replay and DuckDB (scripts/bench-units.sql),
# in the same run: one to ten simulated Haikou-profile centres (distinct ids, `center`
# set, interleaved; see scripts/bench-lib.sh), from 50k to 5.5M events. Writes
# docs/scaling.csv (one row per size: medians) and renders docs/scaling.svg with
# scripts/plot-scaling.py.
#
# Settings (environment): BENCH_RUNS=3 (medians), BENCH_SIZES="centres:orders ..."
# (default below), BENCH_OUT=docs/scaling.csv, BENCH_NO_BUILD=1, BENCH_PGO=1 (0: the plain
# release build instead of the profile-guided one), BENCH_DATA_DIR.
set -euo pipefail
BENCH_NAME=bench-scaling
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

RUNS=${BENCH_RUNS:-3}
# centres:orders per centre. 20,900 Haikou-profile orders are ~50k events; a whole
# Haikou month (228,673 orders) is ~547k.
read -r -a SIZES <<<"${BENCH_SIZES:-1:20900 1:62700 1:228673 2:228673 5:228673 10:228673}"

bench_build
ensure_duckdb
OUT=${BENCH_OUT:-$BENCH_ROOT/docs/scaling.csv}
BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-scaling.XXXXXX")
trap 'rm -rf "$BENCH_WORK"' EXIT

{
  echo "# hotline-pulse replay ($BENCH_BUILD_KIND build) vs DuckDB $DUCKDB_VERSION (2 threads), medians of $RUNS runs, $(nproc) cores;" \
    "$(date -u +%Y-%m-%dT%H:%MZ); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "centres,orders,events,hp_s,hp_cpu_s,hp_rss_kib,duckdb_s,duckdb_query_s,duckdb_cpu_s,duckdb_rss_kib,hp_events_per_s,duckdb_events_per_s"
} >"$OUT.tmp"
for size in "${SIZES[@]}"; do
  centres=${size%%:*} orders=${size##*:}
  f=$(stream_file "$centres" "$orders")
  events=$(wc -l <"$f")
  hs=() hc=() hr=() ds=() dq=() dc=() dr=()
  for r in $(seq "$RUNS"); do
    for tool in $( ((r % 2)) && echo "hp duck" || echo "duck hp"); do
      warm "$f"
      if [[ $tool == hp ]]; then
        read -r wall user sys kib < <(run_replay "$f" /dev/null)
        hs+=("$wall") hc+=("$(calc "$user + $sys")") hr+=("$kib")
      else
        read -r wall user sys kib q < <(run_duckdb "$f" /dev/null)
        ds+=("$wall") dq+=("$q") dc+=("$(calc "$user + $sys")") dr+=("$kib")
      fi
    done
  done
  h=$(median "${hs[@]}") d=$(median "${ds[@]}") q=$(median "${dq[@]}")
  line="$centres,$orders,$events,$h,$(median "${hc[@]}"),$(median "${hr[@]}"),$d,$q,$(median "${dc[@]}"),$(median "${dr[@]}"),$(calc "$events / $h"),$(calc "$events / $q")"
  bench_log "   $line"
  echo "$line" >>"$OUT.tmp"
done
mv "$OUT.tmp" "$OUT"
bench_log "== wrote $OUT"
python3 -c 'import matplotlib' 2>/dev/null ||
  PYTHONPATH=$BENCH_PYTHONPATH python3 -c 'import matplotlib' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    --target "$TARGET/tools/python" matplotlib >&2
PYTHONPATH=$BENCH_PYTHONPATH python3 "$BENCH_ROOT/scripts/plot-scaling.py" "$OUT" "${OUT%.csv}.svg"
