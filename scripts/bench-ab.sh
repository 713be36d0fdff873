#!/usr/bin/env bash
# Two builds of `hotline-pulse replay` against each other, interleaved on one file: the
# method behind every "interleaved, byte-identical output" figure in docs/benchmarks.md.
# On a shared machine the load moves by tens of percent within minutes; running the two
# binaries turn about, many times, and comparing medians is what keeps a few-percent
# change visible. Prints median / min wall time (ms), median CPU time (user + sys, ms)
# and max RSS of each, the ratio new / old, and whether their outputs are identical
# (`--format json`; a change meant to be a pure optimisation must keep them so).
#
# Usage: scripts/bench-ab.sh OLD_BINARY NEW_BINARY FILE [RUNS]   (RUNS: 9)
# For example, with the previous commit's binary saved first:
#   cargo build --release && cp target/release/hotline-pulse /tmp/hp-old
#   (edit, then) cargo build --release
#   scripts/bench-ab.sh /tmp/hp-old target/release/hotline-pulse \
#     target/bench-data/centre-0-228673-2023-01.jsonl 15
# The data files are the ones scripts/bench-replay.sh generates and caches.
set -euo pipefail
BENCH_NAME=bench-ab
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

(($# >= 3)) || bench_die "usage: scripts/bench-ab.sh OLD_BINARY NEW_BINARY FILE [RUNS]"
OLD=$1 NEW=$2 FILE=$3 RUNS=${4:-9}
for b in "$OLD" "$NEW"; do [[ -x $b ]] || bench_die "not an executable: $b"; done
[[ -r $FILE ]] || bench_die "cannot read $FILE"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || bench_die "RUNS must be a positive number, not '$RUNS'"
[[ -x /usr/bin/time ]] || bench_die "GNU time (/usr/bin/time) is required"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-ab.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# run NAME BINARY: one replay; appends "wall_ms cpu_ms rss_kib" to $WORK/NAME.
run() {
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o "$WORK/time" \
    "$2" --log warn replay "$FILE" --as-of watermark --format json >"$WORK/$1.json"
  t1=$(date +%s%N)
  read -r user sys kib <"$WORK/time"
  printf '%s %s %s\n' "$(((t1 - t0) / 1000000))" "$(calc "($user + $sys) * 1000")" "$kib" >>"$WORK/$1"
}

cat "$FILE" >/dev/null # the page cache, warm for the first run as for the others
for r in $(seq "$RUNS"); do
  # Alternate which goes first.
  if ((r % 2)); then run old "$OLD" && run new "$NEW"; else run new "$NEW" && run old "$OLD"; fi
done

declare -A WALL MIN CPU RSS
for b in old new; do
  mapfile -t wall < <(cut -d' ' -f1 "$WORK/$b")
  mapfile -t cpu < <(cut -d' ' -f2 "$WORK/$b")
  mapfile -t rss < <(cut -d' ' -f3 "$WORK/$b")
  WALL[$b]=$(median "${wall[@]}") CPU[$b]=$(median "${cpu[@]}") RSS[$b]=$(median "${rss[@]}")
  MIN[$b]=$(printf '%s\n' "${wall[@]}" | sort -g | head -n1)
done
echo "$(basename "$FILE"), $RUNS runs each, interleaved; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %12s %12s %12s %12s\n' "" "wall ms" "min ms" "CPU ms" "max RSS KiB"
for b in old new; do
  printf '%-4s %12s %12s %12s %12s\n' "$b" "${WALL[$b]}" "${MIN[$b]}" "${CPU[$b]}" "${RSS[$b]}"
done
printf '%-4s %12s %12s %12s %12s\n' "new/old" "$(calc "${WALL[new]} / ${WALL[old]}")" \
  "$(calc "${MIN[new]} / ${MIN[old]}")" "$(calc "${CPU[new]} / ${CPU[old]}")" \
  "$(calc "${RSS[new]} / ${RSS[old]}")"
if cmp -s "$WORK/old.json" "$WORK/new.json"; then
  echo "outputs: identical"
else
  echo "outputs: DIFFER (the last run's JSON of each)"
  exit 1
fi
