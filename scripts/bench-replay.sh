#!/usr/bin/env bash
# Replay throughput and memory of hotline-pulse against DuckDB in the same run
# (docs/benchmarks.md, issue 9): `hotline-pulse replay FILE --format json` (shards = cores)
# and the per-unit table in DuckDB SQL (scripts/bench-units.sql, 2 threads) over the same
# JSON Lines file, on
#   (a) a Haikou month (simulate --profile haikou --orders 228673 --month 2023-01), and
#   (b) a province: 10 centres x a Haikou month, distinct ids, `center` set, interleaved.
# Prints medians of BENCH_RUNS runs, the ratios DuckDB / hotline-pulse, the province /
# Haikou time ratio (linearity; each run times both streams), max RSS (GNU time), bytes per tracked order, CPU
# utilisation ((user + sys) / wall), and checks that both tools give the same table.
#
# Needs python3 (DuckDB is pip-installed into target/tools/python when missing) and GNU
# time. Settings (environment):
#   BENCH_RUNS=3         runs of each tool on each stream (medians are reported)
#   BENCH_ORDERS=228673  records per centre-month
#   BENCH_CENTRES=10     centres of the province stream (0 = skip it)
#   BENCH_YEAR=0         1: also the memory-over-a-year figure (12 Haikou months with
#                        3-month retention: max RSS after months 3 and 12)
#   BENCH_DATA_DIR       where the simulated streams are cached (target/bench-data)
#   BENCH_NO_BUILD=1     skip the builds (`cargo build --release`, scripts/build-pgo.sh)
#   BENCH_PGO=1          0: measure the plain release build, not the profile-guided one
#   BENCH_KEEP=1         keep the work directory
# Smoke test: BENCH_RUNS=1 BENCH_ORDERS=5000 BENCH_CENTRES=2 scripts/bench-replay.sh
set -euo pipefail
BENCH_NAME=bench-replay
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

RUNS=${BENCH_RUNS:-3}
ORDERS=${BENCH_ORDERS:-228673}
CENTRES=${BENCH_CENTRES:-10}

bench_build
ensure_duckdb
BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-replay.XXXXXX")
cleanup() {
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then bench_log "work directory kept: $BENCH_WORK"; else rm -rf "$BENCH_WORK"; fi
}
trap cleanup EXIT

bench_log "== streams (cached in $BENCH_DATA)"
HAIKOU=$(stream_file 1 "$ORDERS")
STREAMS=(haikou)
declare -A FILE=([haikou]=$HAIKOU)
if ((CENTRES > 1)); then
  FILE[province]=$(stream_file "$CENTRES" "$ORDERS")
  STREAMS+=(province)
fi

: >"$BENCH_WORK/empty.jsonl"
read -r _ _ _ RSS_EMPTY_KIB < <(run_replay "$BENCH_WORK/empty.jsonl" /dev/null)

declare -A EVENTS BYTES ORDERS_HELD APPROX HP_S HP_CPU HP_RSS DK_S DK_Q DK_CPU DK_RSS CHECK
# Per stream, each run's figures (space-separated), in run order.
declare -A RUN_HP_S RUN_HP_CPU RUN_HP_RSS RUN_DK_S RUN_DK_Q RUN_DK_CPU RUN_DK_RSS
for s in "${STREAMS[@]}"; do
  f=${FILE[$s]}
  EVENTS[$s]=$(wc -l <"$f")
  BYTES[$s]=$(stat -c %s "$f")
  mem=$("$MEMORY" "$f")
  ORDERS_HELD[$s]=$(json_num "$mem" orders)
  APPROX[$s]=$(json_num "$mem" approx_bytes_per_order)
  bench_log "== $s: ${EVENTS[$s]} events, $((BYTES[$s] / 1000000)) MB; engine's own count: $mem"
done
# Every run times both streams, one after the other, so that the province / Haikou
# ratio (linearity) divides two times taken under the same load: on this shared
# machine the load moves by tens of percent within minutes, and timing all of one
# stream's runs before the other's put that drift into the ratio.
for r in $(seq "$RUNS"); do
  order=("${STREAMS[@]}")
  ((r % 2)) || order=($(printf '%s\n' "${STREAMS[@]}" | tac))
  for s in "${order[@]}"; do
    f=${FILE[$s]}
    # Alternate which tool goes first; each is timed on a warm page cache.
    for tool in $( ((r % 2)) && echo "hp duck" || echo "duck hp"); do
      warm "$f"
      if [[ $tool == hp ]]; then
        read -r wall user sys kib < <(run_replay "$f" "$BENCH_WORK/$s.json")
        RUN_HP_S[$s]+=" $wall" RUN_HP_RSS[$s]+=" $kib"
        RUN_HP_CPU[$s]+=" $(calc "($user + $sys) / $wall")"
        bench_log "   $s, hotline-pulse run $r: ${wall} s, user ${user} s, sys ${sys} s, max RSS ${kib} KiB"
      else
        read -r wall user sys kib q < <(run_duckdb "$f" "$BENCH_WORK/$s.tsv")
        RUN_DK_S[$s]+=" $wall" RUN_DK_Q[$s]+=" $q" RUN_DK_RSS[$s]+=" $kib"
        RUN_DK_CPU[$s]+=" $(calc "($user + $sys) / $wall")"
        bench_log "   $s, duckdb run $r: ${wall} s (query ${q} s), user ${user} s, sys ${sys} s, max RSS ${kib} KiB"
      fi
    done
  done
done
for s in "${STREAMS[@]}"; do
  # shellcheck disable=SC2086 # the run lists split into their numbers
  HP_S[$s]=$(median ${RUN_HP_S[$s]}) HP_CPU[$s]=$(median ${RUN_HP_CPU[$s]}) HP_RSS[$s]=$(median ${RUN_HP_RSS[$s]})
  # shellcheck disable=SC2086
  DK_S[$s]=$(median ${RUN_DK_S[$s]}) DK_Q[$s]=$(median ${RUN_DK_Q[$s]})
  # shellcheck disable=SC2086
  DK_CPU[$s]=$(median ${RUN_DK_CPU[$s]}) DK_RSS[$s]=$(median ${RUN_DK_RSS[$s]})
  CHECK[$s]=$(PYTHONPATH=$BENCH_PYTHONPATH python3 "$BENCH_ROOT/scripts/bench-duckdb.py" \
    compare "$BENCH_WORK/$s.json" "$BENCH_WORK/$s.tsv" || true)
done
# Each run's own province / Haikou ratio.
PAIRED=()
if [[ -n ${FILE[province]:-} ]]; then
  read -ra hk_runs <<<"${RUN_HP_S[haikou]}"
  read -ra pv_runs <<<"${RUN_HP_S[province]}"
  for i in "${!hk_runs[@]}"; do PAIRED+=("$(calc "${pv_runs[$i]} / ${hk_runs[$i]}")"); done
fi

# --- memory over a year -----------------------------------------------------------------
if [[ ${BENCH_YEAR:-0} == 1 ]]; then
  bench_log "== a year: 12 Haikou months in a row, 3-month retention: peak RSS of the first 3, 6, 9, 12"
  months=()
  for m in $(seq -w 1 12); do months+=("$(centre_file 0 "$ORDERS" "2023-$m")"); done
  YEAR=()
  for k in 3 6 9 12; do
    read -r wall _ _ kib < <(run_replay_files "${months[@]:0:k}")
    mem=$("$MEMORY" "${months[@]:0:k}")
    YEAR+=("$k $kib $(json_num "$mem" orders) $(json_num "$mem" approx_bytes) $wall")
    bench_log "   $k months: ${wall} s, max RSS $kib KiB; engine's count: $mem"
  done
  # The same year with no tombstone grace: what the engine holds besides the tombstones
  # (month 3 is the same either way: nothing is evicted before month 4).
  read -r _ _ _ YEAR_NO_GRACE_KIB < <(run_replay_files --tombstone-grace-months 0 "${months[@]}")
  bench_log "   12 months, --tombstone-grace-months 0: max RSS $YEAR_NO_GRACE_KIB KiB"
fi

# --- summary ----------------------------------------------------------------------------
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "MISSED"; fi; }
echo
echo "hotline-pulse replay ($BENCH_BUILD_KIND build) against DuckDB $DUCKDB_VERSION (2 threads), same run;" \
  "medians of $RUNS; $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %9s %7s | %9s %9s %7s | %-13s %9s %6s | %s\n' stream events MB "hp s" "hp RSS" "hp CPU" \
  "duckdb s" "RSS" "CPU" "ratio duckdb/hp"
for s in "${STREAMS[@]}"; do
  printf '%-10s %9d %7d | %9s %9s %7s | %5s (%4s) %9s %6s | %sx (query only: %sx)\n' "$s" "${EVENTS[$s]}" \
    "$((BYTES[$s] / 1000000))" "${HP_S[$s]}" "$(mib "${HP_RSS[$s]}")" "${HP_CPU[$s]}" \
    "${DK_S[$s]}" "${DK_Q[$s]}" "$(mib "${DK_RSS[$s]}")" "${DK_CPU[$s]}" \
    "$(calc "${DK_S[$s]} / ${HP_S[$s]}")" "$(calc "${DK_Q[$s]} / ${HP_S[$s]}")"
done
echo "(duckdb s = the Python process; in brackets connect + query + fetch; CPU = (user + sys) / wall)"
for s in "${STREAMS[@]}"; do
  per=$(calc "(${HP_RSS[$s]} - $RSS_EMPTY_KIB) * 1024 / ${ORDERS_HELD[$s]}")
  printf '%-10s orders held %8d; bytes/order: %s by max RSS (minus %s KiB empty-file run), %s by the engine'"'"'s count; events/s: hp %.0f, duckdb %.0f; tables equal: %s of %s unit rows\n' \
    "$s" "${ORDERS_HELD[$s]}" "$per" "$RSS_EMPTY_KIB" "${APPROX[$s]}" \
    "$(calc "${EVENTS[$s]} / ${HP_S[$s]}")" "$(calc "${EVENTS[$s]} / ${DK_S[$s]}")" \
    "$(cut -d' ' -f1 <<<"${CHECK[$s]}")" "$(cut -d' ' -f2 <<<"${CHECK[$s]}")"
done
echo
echo "goals (issue 9):"
hk=haikou
printf '  Haikou >= 4x faster than DuckDB:            %sx (query only %sx)  %s\n' \
  "$(calc "${DK_S[$hk]} / ${HP_S[$hk]}")" "$(calc "${DK_Q[$hk]} / ${HP_S[$hk]}")" \
  "$(verdict "${DK_Q[$hk]} / ${HP_S[$hk]} >= 4")"
printf '  <= 200 bytes per tracked order (Haikou):    %s  %s\n' \
  "$(calc "(${HP_RSS[$hk]} - $RSS_EMPTY_KIB) * 1024 / ${ORDERS_HELD[$hk]}")" \
  "$(verdict "(${HP_RSS[$hk]} - $RSS_EMPTY_KIB) * 1024 / ${ORDERS_HELD[$hk]} <= 200")"
printf '  both cores busy (Haikou CPU / 2 cores):     %s  %s\n' "${HP_CPU[$hk]}" \
  "$(verdict "${HP_CPU[$hk]} >= 1.8")"
if [[ -n ${FILE[province]:-} ]]; then
  pv=province
  printf '  province <= 10.5x Haikou time (linear):     %sx for %sx the events  %s\n' \
    "$(calc "${HP_S[$pv]} / ${HP_S[$hk]}")" "$(calc "${EVENTS[$pv]} / ${EVENTS[$hk]}")" \
    "$(verdict "${HP_S[$pv]} / ${HP_S[$hk]} <= 10.5")"
  printf '    each run'"'"'s own ratio: %s (median %sx)\n' "${PAIRED[*]}" "$(median "${PAIRED[@]}")"
  printf '  province >= 3x faster than DuckDB:          %sx (query only %sx)  %s\n' \
    "$(calc "${DK_S[$pv]} / ${HP_S[$pv]}")" "$(calc "${DK_Q[$pv]} / ${HP_S[$pv]}")" \
    "$(verdict "${DK_Q[$pv]} / ${HP_S[$pv]} >= 3")"
  printf '  province RSS <= 1 GB:                       %s  %s\n' "$(mib "${HP_RSS[$pv]}")" \
    "$(verdict "${HP_RSS[$pv]} * 1024 <= 1000000000")"
  printf '  province bytes per tracked order:           %s\n' \
    "$(calc "(${HP_RSS[$pv]} - $RSS_EMPTY_KIB) * 1024 / ${ORDERS_HELD[$pv]}")"
  printf '  province CPU (both cores busy):             %s  %s\n' "${HP_CPU[$pv]}" \
    "$(verdict "${HP_CPU[$pv]} >= 1.8")"
fi
echo "(the ratios against DuckDB are judged on its query time alone, the stricter reading)"
if [[ ${BENCH_YEAR:-0} == 1 ]]; then
  echo
  echo "a year through the engine, 3-month retention (tombstones kept 6 months more):"
  printf '  %-7s %12s %12s %16s %9s\n' months "max RSS" "orders held" "engine's bytes" "replay s"
  read -r _ base _ _ _ <<<"${YEAR[0]}"
  for y in "${YEAR[@]}"; do
    read -r k kib held approx wall <<<"$y"
    printf '  %-7s %12s %12s %16s %9s   (%s%% of month 3)\n' "$k" "$(mib "$kib")" "$held" \
      "$approx" "$wall" "$(calc "$kib * 100 / $base")"
  done
  printf '  12 months with no tombstone grace (--tombstone-grace-months 0): %s   (%s%% of month 3)\n' \
    "$(mib "$YEAR_NO_GRACE_KIB")" "$(calc "$YEAR_NO_GRACE_KIB * 100 / $base")"
fi
