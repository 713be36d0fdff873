#!/usr/bin/env bash
# End-to-end cost of the Kafka service, quoted against references measured in the same
# run (docs/benchmarks.md; issues 8 and 12):
#   1. throughput: `serve` (changelog on, views on: the defaults) reading a topic (tansu
#      on loopback, 4 partitions) against examples/bare_consumer.rs, an rdkafka consumer
#      with the same settings that only counts: the ratio service/bare from the first
#      message (goal <= 1.5x), and from process start; `--sink decode|apply` variants
#      split the service's time into Kafka, decoding, the engine and the rest;
#   2. the state model's costs, from the service's own metrics: changelog bytes per input
#      event (hotline_changelog_bytes_total / consumed) and the apply path's pauses
#      during commits (hotline_commit_pause_seconds);
#   3. restore: a Haikou month in ONE partition, consumed by one instance that is then
#      stopped; a second instance of the same group with no state dir (no cache)
#      restores it from the changelog: time from its start until /readyz, and the
#      hotline_restore_duration_seconds sum;
#   4. views (issue 12): two instances of one group on that one-partition topic, so one
#      owns nothing and serves the owner's views; the month is produced at
#      BENCH_VIEWS_RATE events/s, and the time from the producer's end (and from the
#      owner's last message) until the non-owner's /api summary equals the owner's is
#      the staleness (goal <= 5 s); the views topic's bytes per input event are read
#      back with the bare consumer.
#
# Needs `tansu` on PATH, curl, python3 and GNU date/time. Settings (environment):
#   BENCH_RUNS=3          repetitions of the throughput and restore measurements (medians)
#   BENCH_ORDERS=228673   simulated records (Haikou, January 2023: ~547k events)
#   BENCH_PROFILE=haikou  BENCH_MONTH=2023-01
#   BENCH_POLL_MS=100     how often the services' /metrics and API are read
#   BENCH_SINKS="decode apply"  extra bare-consumer sinks to measure ("" to skip)
#   BENCH_VIEWS_RATE=20000  events/s of the views run's producer (0 = as fast as it can)
#   BENCH_KAFKA_OPTIONS="k=v ..."  extra librdkafka settings for every client
#   BENCH_TIMEOUT_SECS=600  give up on one run after this long
#   BENCH_NO_BUILD=1      skip the builds (`cargo build --release`, scripts/build-pgo.sh)
#   BENCH_PGO=1           0: measure the plain release build, not the profile-guided one
#   BENCH_KEEP=1          keep the work directory (data file, logs)
# Smoke test: BENCH_RUNS=1 BENCH_ORDERS=5000 scripts/bench-e2e.sh
set -euo pipefail
BENCH_NAME=bench-e2e
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

RUNS=${BENCH_RUNS:-3}
ORDERS=${BENCH_ORDERS:-228673}
PROFILE=${BENCH_PROFILE:-haikou}
MONTH=${BENCH_MONTH:-2023-01}
POLL_MS=${BENCH_POLL_MS:-100}
TIMEOUT=${BENCH_TIMEOUT_SECS:-600}
VIEWS_RATE=${BENCH_VIEWS_RATE:-20000}
PARTITIONS=4
# tansu holds every fetch for the full fetch.wait.max.ms even when data is there; at
# librdkafka's default (500 ms) a consumer reads one batch per half second.
KAFKA_OPTS=(--kafka-option fetch.wait.max.ms=5)
for kv in ${BENCH_KAFKA_OPTIONS:-}; do KAFKA_OPTS+=(--kafka-option "$kv"); done
read -r -a SINKS <<<"${BENCH_SINKS-decode apply}"
POLL_S=$(calc "$POLL_MS / 1000")

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

command -v tansu >/dev/null || bench_die "tansu is not on PATH"
command -v curl >/dev/null || bench_die "curl is required"
bench_build

BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-e2e.XXXXXX")
WORK=$BENCH_WORK
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then bench_log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
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

bench_log "== simulating $PROFILE $MONTH, $ORDERS orders"
DATA=$WORK/events.jsonl
"$BIN" --log warn simulate --profile "$PROFILE" --orders "$ORDERS" --month "$MONTH" >"$DATA"
EVENTS=$(wc -l <"$DATA")
bench_log "   $EVENTS events, $(du -h "$DATA" | cut -f1)"

KPORT=$(free_port) || bench_die "no free port"
BROKERS=127.0.0.1:$KPORT
bench_log "== tansu on $BROKERS"
tansu broker --listener-url "tcp://$BROKERS" --advertised-listener-url "tcp://$BROKERS" \
  --storage-engine memory://tansu/ >"$WORK/tansu.log" 2>&1 &
PIDS+=($!)
wait_port "$KPORT" || bench_die "tansu did not start (see $WORK/tansu.log)"

produce() { # TOPIC PARTITIONS [RATE]
  "$BIN" --log warn produce --brokers "$BROKERS" --topic "$1" --partitions "$2" \
    --rate "${3:-0}" "${KAFKA_OPTS[@]}" "$DATA" >&2
}

# --- the service's endpoints ---------------------------------------------------------------
metrics() { curl -sf --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null || true; }
# metric PORT NAME: the sum of a metric's samples (0 when absent or not listening).
metric() {
  metrics "$1" | awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%.6f", s }'
}
consumed() { metric "$1" hotline_kafka_messages_consumed_total | cut -d. -f1; }
ready() { curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$1/readyz"; }
# The month's /api summary without what legitimately differs between instances (the
# as-of time, the completeness fields).
summary() {
  curl -sf --max-time 2 "http://127.0.0.1:$1/api/v1/months/$MONTH/summary" 2>/dev/null |
    python3 -c 'import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit()
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items()
                if k != "as_of" and not any(w in k for w in ("complete", "stale", "missing", "age"))}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
print(json.dumps(strip(d), sort_keys=True))' || true
}

# start_service NAME TOPIC GROUP [ARGS...]: starts `serve` (no state dir: no cache);
# sets SVC_PID and SVC_PORT.
start_service() {
  local name=$1 topic=$2 group=$3
  shift 3
  SVC_PORT=$(free_port) || bench_die "no free port"
  "$BIN" serve --listen "127.0.0.1:$SVC_PORT" --brokers "$BROKERS" --topic "$topic" \
    --group "$group" --as-of watermark "${KAFKA_OPTS[@]}" "$@" 2>"$WORK/serve-$name.log" &
  SVC_PID=$!
  PIDS+=("$SVC_PID")
}
alive_or_die() { # PID NAME
  if ! kill -0 "$1" 2>/dev/null; then
    tail -n 20 "$WORK/serve-$2.log" >&2
    bench_die "service $2 exited early"
  fi
}
# wait_consumed PORT PID NAME N: until the instance consumed N messages.
wait_consumed() {
  local t0=$SECONDS
  until (($(consumed "$1") >= $4)); do
    alive_or_die "$2" "$3"
    ((SECONDS - t0 < TIMEOUT)) || bench_die "$3: timed out waiting for $4 messages"
    sleep "$POLL_S"
  done
}
# settle PORT: until the changelog has gone quiet (the last changes flushed and
# committed: hotline_changelog_bytes_total unchanged over a second and a half).
settle() {
  local prev=-1 cur same=0
  while ((same < 3)); do
    cur=$(metric "$1" hotline_changelog_bytes_total)
    if [[ $cur == "$prev" ]]; then same=$((same + 1)); else same=0; fi
    prev=$cur
    sleep 0.5
  done
}

# --- 1 and 2: throughput, changelog bytes, commit pauses ----------------------------------
TOPIC=hotline.bench.$$
bench_log "== producing $EVENTS events into $TOPIC ($PARTITIONS partitions)"
t0=$(now)
produce "$TOPIC" "$PARTITIONS"
PRODUCE_S=$(elapsed "$t0")
bench_log "   produced in ${PRODUCE_S} s"

declare -A FROM_START FROM_FIRST PAUSE_BUCKETS
CHANGELOG_PER_EVENT=() CHANGELOG_RECORDS=() PAUSE_COUNT=0 PAUSE_SUM=0

run_bare() {
  local sink=$1 r=$2 out
  out=$("$BARE" --brokers "$BROKERS" --topic "$TOPIC" --messages "$EVENTS" --sink "$sink" \
    --group "bench-$sink-$$-$r" --timeout-secs "$TIMEOUT" "${KAFKA_OPTS[@]}")
  FROM_START[$sink]+="$(json_num "$out" elapsed_s) "
  FROM_FIRST[$sink]+="$(json_num "$out" from_first_s) "
  bench_log "   bare consumer ($sink) run $r: $out"
}

run_service() {
  local r=$1 t0 t first="" n prev text
  t0=$(now)
  # Its own changelog and views topics: the changelog belongs to the input topic, so a
  # second run on the default one would restore the first run's state and find every
  # event a duplicate.
  start_service "tp-$r" "$TOPIC" "bench-svc-$$-$r" --changelog-topic "$TOPIC.changelog.$r" \
    --views-topic "$TOPIC.views.$r"
  prev=$t0
  while :; do
    n=$(consumed "$SVC_PORT")
    t=$(now)
    # The first message arrived between the previous reading and this one.
    if [[ -z $first ]] && ((n > 0)); then first=$(calc "($prev + $t) / 2"); fi
    ((n >= EVENTS)) && break
    alive_or_die "$SVC_PID" "tp-$r"
    (($(elapsed "$t0" "$t" | cut -d. -f1) < TIMEOUT)) ||
      bench_die "serve run $r: timed out at $n of $EVENTS messages"
    prev=$t
    sleep "$POLL_S"
  done
  FROM_START[service]+="$(elapsed "$t0" "$t") "
  FROM_FIRST[service]+="$(elapsed "$first" "$t") "
  bench_log "   service run $r: $(elapsed "$t0" "$t") s from start, $(elapsed "$first" "$t") s from the first message"
  settle "$SVC_PORT"
  text=$(metrics "$SVC_PORT")
  local bytes records
  bytes=$(awk '$1 == "hotline_changelog_bytes_total" { print $2 }' <<<"$text")
  records=$(awk '$1 == "hotline_changelog_records_total" { print $2 }' <<<"$text")
  CHANGELOG_PER_EVENT+=("$(calc "$bytes / $EVENTS")")
  CHANGELOG_RECORDS+=("$records")
  bench_log "   changelog: $bytes bytes, $records records"
  # The commit-pause histogram, summed over runs.
  while read -r le c; do
    PAUSE_BUCKETS[$le]=$((${PAUSE_BUCKETS[$le]:-0} + c))
  done < <(awk -F'[" ]' '/^hotline_commit_pause_seconds_bucket/ { print $2, $NF }' <<<"$text")
  PAUSE_COUNT=$((PAUSE_COUNT + $(awk '$1 == "hotline_commit_pause_seconds_count" { print $2 }' <<<"$text")))
  PAUSE_SUM=$(calc "$PAUSE_SUM + $(awk '$1 == "hotline_commit_pause_seconds_sum" { print $2 }' <<<"$text")")
  stop_pid "$SVC_PID"
}

CONSUMERS=(count "${SINKS[@]}" service)
bench_log "== consuming the topic: ${CONSUMERS[*]}; $RUNS rounds"
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

# --- 4: views staleness and volume (one partition, two instances) -------------------------
VTOPIC=hotline.bench1.$$
VGROUP=bench-one-$$
bench_log "== views: two instances of $VGROUP on $VTOPIC (1 partition), then $EVENTS events at ${VIEWS_RATE}/s"
"$BIN" --log warn produce --brokers "$BROKERS" --topic "$VTOPIC" --partitions 1 \
  "${KAFKA_OPTS[@]}" /dev/null >&2 # creates the topic
start_service views-a "$VTOPIC" "$VGROUP"
A_PID=$SVC_PID A_PORT=$SVC_PORT
sleep 2 # A joins first and takes the partition; B then owns nothing
start_service views-b "$VTOPIC" "$VGROUP"
B_PID=$SVC_PID B_PORT=$SVC_PORT
t0=$SECONDS
until [[ $(metric "$A_PORT" hotline_kafka_partitions_owned) != 0.000000 ||
  $(metric "$B_PORT" hotline_kafka_partitions_owned) != 0.000000 ]]; do
  alive_or_die "$A_PID" views-a
  alive_or_die "$B_PID" views-b
  ((SECONDS - t0 < 60)) || bench_die "views: no instance got the partition"
  sleep 0.2
done
sleep 3 # let the group settle (B's join may move the partition)
if [[ $(metric "$A_PORT" hotline_kafka_partitions_owned) == 0.000000 ]]; then
  OWNER_PORT=$B_PORT OWNER_PID=$B_PID OTHER_PORT=$A_PORT
else
  OWNER_PORT=$A_PORT OWNER_PID=$A_PID OTHER_PORT=$B_PORT
fi
produce "$VTOPIC" 1 "$VIEWS_RATE"
T_PRODUCED=$(now)
wait_consumed "$OWNER_PORT" "$OWNER_PID" views-owner "$EVENTS"
T_OWNER=$(now)
# The owner's summary is final once it has every message; then wait for the other's.
t0=$SECONDS
OWNER_SUMMARY="" OTHER_SUMMARY=""
while :; do
  OWNER_SUMMARY=$(summary "$OWNER_PORT")
  OTHER_SUMMARY=$(summary "$OTHER_PORT")
  t=$(now)
  [[ -n $OWNER_SUMMARY && $OWNER_SUMMARY == "$OTHER_SUMMARY" ]] && break
  ((SECONDS - t0 < 120)) || bench_die "views: the non-owner's summary never equalled the owner's"
  sleep "$POLL_S"
done
STALE_FROM_PRODUCER=$(elapsed "$T_PRODUCED" "$t")
STALE_FROM_OWNER=$(elapsed "$T_OWNER" "$t")
bench_log "   non-owner equal $STALE_FROM_PRODUCER s after the producer ended, $STALE_FROM_OWNER s after the owner's last message"
settle "$OWNER_PORT"
VIEWS_PUBLISHED=$(metric "$OWNER_PORT" hotline_views_published_total | cut -d. -f1)
ONE_CHANGELOG=$(metric "$OWNER_PORT" hotline_changelog_bytes_total | cut -d. -f1)
stop_pid "$B_PID"
stop_pid "$A_PID"
VIEWS=$("$BARE" --brokers "$BROKERS" --topic "$VTOPIC.views" --idle-ms 3000 \
  --group "bench-views-$$" --timeout-secs 120 "${KAFKA_OPTS[@]}")
bench_log "   views topic read back: $VIEWS"
VIEWS_BYTES=$(($(json_num "$VIEWS" bytes) + $(json_num "$VIEWS" key_bytes)))
VIEWS_RECORDS=$(json_num "$VIEWS" messages)

# --- 3: restore of a one-partition Haikou month from the changelog ------------------------
# Its own topic and group with one member at a time (tansu, after two members of a group
# left, kept a newcomer waiting beyond 40 s; one member leaving is handled at once).
RTOPIC=hotline.restore.$$
RGROUP=bench-restore-$$
bench_log "== restore: $EVENTS events in $RTOPIC (1 partition), consumed once, then a new instance of $RGROUP with no state dir, $RUNS times"
produce "$RTOPIC" 1
# The service reads a changelog partition up to its high watermark, and checks the
# committed input offset against it: tansu 0.6 (memory storage) answers ListOffsets with
# the last batch's base offset instead of the end, so a restore there misses the
# changelog's last batch and takes the committed offset for out of range (re-reading
# the input). Say so when it happens.
RHIGH=$(json_num "$("$BARE" --brokers "$BROKERS" --topic "$RTOPIC" --watermarks 0)" high)
start_service restore-0 "$RTOPIC" "$RGROUP"
wait_consumed "$SVC_PORT" "$SVC_PID" restore-0 "$EVENTS"
settle "$SVC_PORT"
stop_pid "$SVC_PID"
RESTORE_READY=() RESTORE_METRIC=() RESTORE_REREAD=()
for r in $(seq "$RUNS"); do
  t0=$(now)
  start_service "restore-$r" "$RTOPIC" "$RGROUP"
  t_metric=""
  # Ready with the partition restored (a member that got no partition is ready too).
  until [[ -n $t_metric ]] && ready "$SVC_PORT"; do
    alive_or_die "$SVC_PID" "restore-$r"
    if [[ -z $t_metric && $(metric "$SVC_PORT" hotline_restore_duration_seconds_count) != 0.000000 ]]; then
      t_metric=$(now)
    fi
    (($(elapsed "$t0" | cut -d. -f1) < TIMEOUT)) || bench_die "restore $r: never ready"
    sleep "$POLL_S"
  done
  t=$(now)
  RESTORE_READY+=("$(elapsed "$t0" "$t")")
  RESTORE_METRIC+=("$(metric "$SVC_PORT" hotline_restore_duration_seconds_sum)")
  RESTORE_REREAD+=("$(consumed "$SVC_PORT")")
  bench_log "   restore $r: ready after $(elapsed "$t0" "$t") s (metric first seen after $(elapsed "$t0" "$t_metric") s); hotline_restore_duration_seconds_sum ${RESTORE_METRIC[-1]}; restored orders $(metric "$SVC_PORT" hotline_restored_orders_total); input messages re-read ${RESTORE_REREAD[-1]}"
  stop_pid "$SVC_PID"
done

# --- summary --------------------------------------------------------------------------------
rate() { calc "$EVENTS / $1"; }
row() { printf '%-46s %9s %12.0f\n' "$1" "$2" "$(rate "$2")"; }
# shellcheck disable=SC2086 # the per-consumer lists are space-separated on purpose
start_of() { median ${FROM_START[$1]}; }
# shellcheck disable=SC2086
first_of() { median ${FROM_FIRST[$1]}; }
bare_s=$(start_of count)
bare_first=$(first_of count)
svc_s=$(start_of service)
svc_first=$(first_of service)
# pause_quantile Q: from the summed histogram, as Prometheus' histogram_quantile does
# (linear within the bucket).
pause_quantile() {
  for le in "${!PAUSE_BUCKETS[@]}"; do echo "$le ${PAUSE_BUCKETS[$le]}"; done |
    sed 's/^+Inf/inf/' | sort -g | awk -v q="$1" -v n="$PAUSE_COUNT" '
      { le[NR] = $1; c[NR] = $2 }
      END {
        if (n == 0) { print "-"; exit }
        rank = q * n; lo = 0; prev = 0
        for (i = 1; i <= NR; i++) {
          if (c[i] >= rank) {
            if (le[i] == "inf") { printf "> %s s\n", le[i - 1]; exit }
            printf "%.4f s\n", lo + (le[i] - lo) * (rank - prev) / (c[i] - prev + 1e-9); exit
          }
          lo = le[i]; prev = c[i]
        }
      }'
}
pause_max() {
  for le in "${!PAUSE_BUCKETS[@]}"; do echo "$le ${PAUSE_BUCKETS[$le]}"; done |
    sed 's/^+Inf/inf/' | sort -g | awk -v n="$PAUSE_COUNT" '
      $2 >= n && n > 0 { if (prev == "") print "<= " $1 " s"; else print "in (" prev ", " $1 "] s"; exit }
      { prev = $1 }'
}

echo
echo "hotline-pulse ($BENCH_BUILD_KIND build) end-to-end: $PROFILE $MONTH, $ORDERS orders, $EVENTS events; medians of $RUNS runs;" \
  "$(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "consumer options: ${KAFKA_OPTS[*]}"
printf '%-46s %9s %12s\n' "measure" "seconds" "events/s"
row "produce (4 partitions; informational)" "$PRODUCE_S"
row "bare consumer, from start" "$bare_s"
row "service, from start" "$svc_s"
row "bare consumer, from first message" "$bare_first"
for sink in "${SINKS[@]}"; do
  row "bare consumer + $sink, from first message" "$(first_of "$sink")"
done
row "service, from first message" "$svc_first"
printf '%-46s %9s\n' "ratio service/bare, from start" "$(calc "$svc_s / $bare_s")x"
printf '%-46s %9s   (goal <= 1.5x)\n' "ratio service/bare, from first message" \
  "$(calc "$svc_first / $bare_first")x"
for sink in "${SINKS[@]}"; do
  printf '%-46s %9s\n' "ratio service/(bare + $sink), from first" \
    "$(calc "$svc_first / $(first_of "$sink")")x"
done
echo
printf '%-46s %9s   (records per run: %s)\n' "changelog bytes per input event" \
  "$(median "${CHANGELOG_PER_EVENT[@]}")" "${CHANGELOG_RECORDS[*]}"
printf '%-46s %9s   (one partition, views run)\n' "changelog bytes per input event" \
  "$(calc "$ONE_CHANGELOG / $EVENTS")"
printf '%-46s %9s   (%s pauses in %s runs, mean %s ms)\n' "commit pause, longest (bucket)" \
  "$(pause_max)" "$PAUSE_COUNT" "$RUNS" "$(calc "$PAUSE_SUM * 1000 / ($PAUSE_COUNT + 0.000001)")"
printf '%-46s %9s / %s / %s\n' "commit pause p50 / p99 / p99.9" "$(pause_quantile 0.5)" \
  "$(pause_quantile 0.99)" "$(pause_quantile 0.999)"
printf '%-46s %9s   (all: %s)\n' "restore, start until /readyz (s)" "$(median "${RESTORE_READY[@]}")" \
  "${RESTORE_READY[*]}"
printf '%-46s %9s   (input messages re-read: %s)\n' "restore, hotline_restore_duration_seconds_sum" \
  "$(median "${RESTORE_METRIC[@]}")" "${RESTORE_REREAD[*]}"
if ((RHIGH != EVENTS)); then
  echo "  NOTE: the broker reports a high watermark of $RHIGH for $EVENTS messages (tansu's ListOffsets);" \
    "the restore reads the changelog up to its own claim record, so it does not depend on it"
fi
printf '%-46s %9s   (%s orders in one partition)\n' "restore seconds per million orders" \
  "$(calc "$(median "${RESTORE_METRIC[@]}") * 1000000 / $ORDERS")" "$ORDERS"
printf '%-46s %9s   (%s records, %s publishes by the owner)\n' "views topic bytes per input event" \
  "$(calc "$VIEWS_BYTES / $EVENTS")" "$VIEWS_RECORDS" "$VIEWS_PUBLISHED"
printf '%-46s %9s   (producer at %s events/s)\n' "views staleness after the producer ended (s)" \
  "$STALE_FROM_PRODUCER" "$VIEWS_RATE"
printf '%-46s %9s   (goal <= 5 s)\n' "views staleness after the owner's last message" \
  "$STALE_FROM_OWNER"
