#!/usr/bin/env bash
# End-to-end throughput of hotline-pulse, quoted against references measured in the
# same run (docs/benchmarks.md):
#   - `replay` of a simulated month: events/s and max RSS per tracked order;
#   - `serve` reading a Kafka topic (tansu on loopback, 4 partitions) against
#     examples/bare_consumer.rs, an rdkafka consumer with the same settings that only
#     counts: the ratio service/bare, from process start and from the first message;
#   - the same bare consumer that also decodes (`--sink decode`) and also applies to the
#     engine (`--sink apply`), to split the service's time into Kafka, decoding, the
#     engine and the rest.
#
# Needs `tansu` on PATH, curl, and GNU date/time. Settings (environment):
#   BENCH_RUNS=3          repetitions of each measurement (medians are reported)
#   BENCH_ORDERS=228673   simulated records (Haikou, January 2023: ~570k events)
#   BENCH_PROFILE=haikou  BENCH_MONTH=2023-01
#   BENCH_POLL_MS=100     how often the service's /metrics is read
#   BENCH_SINKS="decode apply"  extra bare-consumer sinks to measure ("" to skip)
#   BENCH_KAFKA_OPTIONS="k=v ..."  extra librdkafka settings for every consumer, e.g.
#                         "fetch.queue.backoff.ms=10"
#   BENCH_TIMEOUT_SECS=600  give up on one consumer run after this long
#   BENCH_KEEP=1          keep the work directory (data file, logs)
# Smoke test: BENCH_RUNS=1 BENCH_ORDERS=5000 scripts/bench-e2e.sh
set -euo pipefail

RUNS=${BENCH_RUNS:-3}
ORDERS=${BENCH_ORDERS:-228673}
PROFILE=${BENCH_PROFILE:-haikou}
MONTH=${BENCH_MONTH:-2023-01}
POLL_MS=${BENCH_POLL_MS:-100}
TIMEOUT=${BENCH_TIMEOUT_SECS:-600}
PARTITIONS=4
# tansu holds every fetch for the full fetch.wait.max.ms even when data is there; at
# librdkafka's default (500 ms) a consumer reads one batch per half second.
KAFKA_OPTS=(--kafka-option fetch.wait.max.ms=5)
for kv in ${BENCH_KAFKA_OPTIONS:-}; do KAFKA_OPTS+=(--kafka-option "$kv"); done
SINKS=(${BENCH_SINKS-decode apply})

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { printf '%s\n' "$*" >&2; }
die() {
  log "bench-e2e: $*"
  exit 1
}
now() { date +%s.%N; }
# elapsed START [END]: seconds between two `now` readings.
elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.3f", b - a }'; }
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# calc EXPR: floating-point arithmetic via awk.
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
# json_num JSON FIELD: a numeric field of a flat one-line JSON object.
json_num() { sed -E "s/.*\"$2\":(-?[0-9.]+).*/\\1/" <<<"$1"; }
# A loopback port nobody listens on (a refused connection), below the ephemeral range
# so that no client connection takes it before the server binds it.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
wait_port() {
  local deadline=$((SECONDS + 30))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

command -v tansu >/dev/null || die "tansu is not on PATH"
command -v curl >/dev/null || die "curl is required"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is required for max RSS"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-e2e.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    log "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops a process this script started: SIGTERM, then SIGKILL after 30 s.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

log "== building (release)"
cargo build --release --examples --bins >&2
TARGET=$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')
BIN=$TARGET/release/hotline-pulse
BARE=$TARGET/release/examples/bare_consumer
MEMORY=$TARGET/release/examples/memory
for b in "$BIN" "$BARE" "$MEMORY"; do [[ -x $b ]] || die "missing $b"; done

log "== simulating $PROFILE $MONTH, $ORDERS orders"
DATA=$WORK/events.jsonl
"$BIN" --log warn simulate --profile "$PROFILE" --orders "$ORDERS" --month "$MONTH" >"$DATA"
EVENTS=$(wc -l <"$DATA")
log "   $EVENTS events, $(du -h "$DATA" | cut -f1)"

# --- replay: events/s and max RSS ------------------------------------------------------
: >"$WORK/empty.jsonl"
/usr/bin/time -f '%M' -o "$WORK/time-empty" "$BIN" --log warn replay "$WORK/empty.jsonl" \
  --format json >/dev/null
RSS_EMPTY_KIB=$(tail -n1 "$WORK/time-empty")
REPLAY_S=()
REPLAY_RSS=()
for r in $(seq "$RUNS"); do
  t0=$(now)
  /usr/bin/time -f '%M' -o "$WORK/time-replay" "$BIN" --log warn replay "$DATA" \
    --format json >"$WORK/replay.json"
  s=$(elapsed "$t0")
  kib=$(tail -n1 "$WORK/time-replay")
  REPLAY_S+=("$s")
  REPLAY_RSS+=("$kib")
  log "   replay run $r: ${s} s, max RSS ${kib} KiB"
done
MEM_JSON=$("$MEMORY" "$DATA")
log "   memory example: $MEM_JSON"
ORDERS_HELD=$(json_num "$MEM_JSON" orders)

# --- Kafka ----------------------------------------------------------------------------
KPORT=$(free_port) || die "no free port"
BROKERS=127.0.0.1:$KPORT
log "== tansu on $BROKERS"
tansu broker --listener-url "tcp://$BROKERS" --advertised-listener-url "tcp://$BROKERS" \
  --storage-engine memory://tansu/ >"$WORK/tansu.log" 2>&1 &
PIDS+=($!)
wait_port "$KPORT" || die "tansu did not start (see $WORK/tansu.log)"

TOPIC=hotline.bench.$$
log "== producing $EVENTS events into $TOPIC ($PARTITIONS partitions)"
t0=$(now)
"$BIN" --log warn produce --brokers "$BROKERS" --topic "$TOPIC" --partitions "$PARTITIONS" \
  "${KAFKA_OPTS[@]}" "$DATA" >&2
PRODUCE_S=$(elapsed "$t0")
log "   produced in ${PRODUCE_S} s"

# Seconds per run, by consumer: "count" (the reference), the sinks, "service".
declare -A FROM_START FROM_FIRST

run_bare() {
  local sink=$1 r=$2 out
  out=$("$BARE" --brokers "$BROKERS" --topic "$TOPIC" --messages "$EVENTS" --sink "$sink" \
    --group "bench-$sink-$$-$r" --timeout-secs "$TIMEOUT" "${KAFKA_OPTS[@]}")
  FROM_START[$sink]+="$(json_num "$out" elapsed_s) "
  FROM_FIRST[$sink]+="$(json_num "$out" from_first_s) "
  log "   bare consumer ($sink) run $r: $out"
}

# Sum of hotline_kafka_messages_consumed_total over partitions; 0 while not listening.
consumed() {
  local text
  text=$(curl -sf --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null) || text=""
  awk '/^hotline_kafka_messages_consumed_total[{ ]/ { s += $NF } END { printf "%d", s }' <<<"$text"
}

run_service() {
  local r=$1 port pid t0 t first="" n=0 prev
  port=$(free_port) || die "no free port"
  t0=$(now)
  "$BIN" serve --listen "127.0.0.1:$port" --brokers "$BROKERS" --topic "$TOPIC" \
    --group "bench-svc-$$-$r" --state-dir "$WORK/state-$r" --as-of watermark \
    "${KAFKA_OPTS[@]}" 2>"$WORK/serve-$r.log" &
  pid=$!
  PIDS+=("$pid")
  prev=$t0
  while :; do
    n=$(consumed "$port")
    t=$(now)
    # The first message arrived between the previous reading and this one.
    if [[ -z $first ]] && ((n > 0)); then first=$(calc "($prev + $t) / 2"); fi
    ((n >= EVENTS)) && break
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$WORK/serve-$r.log" >&2
      die "serve run $r exited early"
    fi
    (($(elapsed "$t0" "$t" | cut -d. -f1) < TIMEOUT)) ||
      die "serve run $r: timed out at $n of $EVENTS messages"
    prev=$t
    sleep "$(calc "$POLL_MS / 1000")"
  done
  FROM_START[service]+="$(elapsed "$t0" "$t") "
  FROM_FIRST[service]+="$(elapsed "$first" "$t") "
  log "   service run $r: $(elapsed "$t0" "$t") s from start, $(elapsed "$first" "$t") s from the first message"
  stop_pid "$pid"
}

CONSUMERS=(count "${SINKS[@]}" service)
log "== consuming the topic: ${CONSUMERS[*]}; $RUNS rounds"
for r in $(seq "$RUNS"); do
  # Reverse the order every other round, so no one always meets a warmer broker.
  order=("${CONSUMERS[@]}")
  if ((r % 2 == 0)); then
    order=()
    for ((i = ${#CONSUMERS[@]} - 1; i >= 0; i--)); do order+=("${CONSUMERS[i]}"); done
  fi
  for c in "${order[@]}"; do
    if [[ $c == service ]]; then run_service "$r"; else run_bare "$c" "$r"; fi
  done
done

# --- summary --------------------------------------------------------------------------
rate() { calc "$EVENTS / $1"; }
row() { printf '%-44s %9s %12.0f\n' "$1" "$2" "$(rate "$2")"; }
# shellcheck disable=SC2086 # the per-consumer lists are space-separated on purpose
start_of() { median ${FROM_START[$1]}; }
# shellcheck disable=SC2086
first_of() { median ${FROM_FIRST[$1]}; }
replay_s=$(median "${REPLAY_S[@]}")
replay_rss=$(median "${REPLAY_RSS[@]}")
rss_per_order=$(calc "($replay_rss - $RSS_EMPTY_KIB) * 1024 / $ORDERS_HELD")
bare_s=$(start_of count)
bare_first=$(first_of count)
svc_s=$(start_of service)
svc_first=$(first_of service)

echo
echo "hotline-pulse end-to-end: $PROFILE $MONTH, $ORDERS orders, $EVENTS events;" \
  "medians of $RUNS runs; $(nproc) cores"
echo "consumer options: ${KAFKA_OPTS[*]}"
printf '%-44s %9s %12s\n' "measure" "seconds" "events/s"
row "replay (file -> figures)" "$replay_s"
row "produce (4 partitions; informational)" "$PRODUCE_S"
row "bare consumer, from start" "$bare_s"
row "service, from start" "$svc_s"
row "bare consumer, from first message" "$bare_first"
for sink in "${SINKS[@]}"; do
  row "bare consumer + $sink, from first message" "$(first_of "$sink")"
done
row "service, from first message" "$svc_first"
printf '%-44s %9s\n' "ratio service/bare, from start" "$(calc "$svc_s / $bare_s")x"
printf '%-44s %9s   (goal <= 1.25x)\n' "ratio service/bare, from first message" \
  "$(calc "$svc_first / $bare_first")x"
for sink in "${SINKS[@]}"; do
  printf '%-44s %9s\n' "ratio service/(bare + $sink), from first" \
    "$(calc "$svc_first / $(first_of "$sink")")x"
done
printf '%-44s %9s\n' "orders held after replay" "$ORDERS_HELD"
printf '%-44s %9s   (max RSS %.0f KiB - empty-file run %s KiB; target 200)\n' \
  "bytes/order, replay max RSS" "$rss_per_order" "$replay_rss" "$RSS_EMPTY_KIB"
printf '%-44s %9s   (Partition::approx_bytes / len)\n' "bytes/order, engine estimate" \
  "$(json_num "$MEM_JSON" approx_bytes_per_order)"
printf '%-44s %9s   (VmRSS after - before an in-process replay)\n' \
  "bytes/order, resident growth" "$(json_num "$MEM_JSON" rss_growth_per_order)"
printf '%-44s %9s   (%s B each; event ids %s B/order)\n' "events stored per order" \
  "$(json_num "$MEM_JSON" events_per_order)" "$(json_num "$MEM_JSON" size_of_stored_event)" \
  "$(json_num "$MEM_JSON" event_id_bytes_per_order)"
