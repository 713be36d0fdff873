#!/usr/bin/env python3
"""The DuckDB side of scripts/bench-replay.sh (the peer in the same run).

  bench-duckdb.py query FILE.jsonl     run scripts/bench-units.sql on 2 threads; the rows
                                       (TSV) on stdout, the seconds taken by connect +
                                       query + fetch on stderr
  bench-duckdb.py compare HP.json DUCK.tsv
                                       compare `replay --format json` with those rows;
                                       prints "IDENTICAL TOTAL" (unit rows), exit 1 on a
                                       difference (the first few are shown on stderr)
"""
import json
import sys
import time
from pathlib import Path

SQL = Path(__file__).with_name("bench-units.sql")
FIELDS = ("assigned", "completed", "overdue", "returned", "callbacks", "satisfied")


def statements(text):
    """The script's statements, comments dropped (the last one is the query)."""
    lines = [l for l in text.splitlines() if not l.lstrip().startswith("--")]
    return [s for s in "\n".join(lines).split(";") if s.strip()]


def query(path):
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET VARIABLE file = ?", [path])
    *setup, last = statements(SQL.read_text())
    for s in setup:
        con.execute(s)
    rows = con.execute(last).fetchall()
    took = time.perf_counter() - t0
    out = sys.stdout
    for r in rows:
        out.write("\t".join(map(str, r)) + "\n")
    out.flush()
    print(f"{took:.3f}", file=sys.stderr)


def compare(hp_path, duck_path):
    hp = {}
    for m in json.load(open(hp_path, encoding="utf-8"))["months"]:
        s = m["summary"]
        for u in m["units"]:
            row = (u["assigned"], u["completed"], u["overdue"], u["returned"],
                   u["callbacks"]["total"], u["callbacks"]["satisfied"])
            # Units known only from a consultation have nothing in this table.
            if any(row):
                hp[(s["center"], u["unit"], s["month"])] = row
    duck = {}
    for line in open(duck_path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        duck[(f[0], f[1], f[2])] = tuple(int(x) for x in f[3:9])
    same = sum(1 for k, v in hp.items() if duck.get(k) == v)
    total = len(set(hp) | set(duck))
    for k in sorted(set(hp) | set(duck)):
        if hp.get(k) != duck.get(k):
            print(f"differs: {k}: hotline-pulse {hp.get(k)}, duckdb {duck.get(k)} {FIELDS}",
                  file=sys.stderr)
            break
    print(same, total)
    return 0 if same == total else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "query":
        query(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
