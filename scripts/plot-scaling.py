#!/usr/bin/env python3
"""Renders docs/scaling.csv (written by scripts/bench-scaling.sh) as an SVG: events/s
against stream size, hotline-pulse replay and DuckDB, log-scaled size axis.

  plot-scaling.py docs/scaling.csv docs/scaling.svg
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)


def main(src, dst):
    with open(src, encoding="utf-8") as f:
        comment = f.readline().lstrip("# ").strip()
        rows = list(csv.DictReader(f))
    events = [int(r["events"]) for r in rows]
    hp = [float(r["hp_events_per_s"]) / 1e3 for r in rows]
    duck = [float(r["duckdb_events_per_s"]) / 1e3 for r in rows]
    # svg.hashsalt keeps the ids stable, so a re-render of the same data is the same file.
    plt.rcParams.update({"svg.hashsalt": "hotline-pulse", "svg.fonttype": "none"})
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(events, hp, marker="o", label="hotline-pulse replay (shards = cores)")
    ax.plot(events, duck, marker="s", label="DuckDB, per-unit table in SQL (2 threads; query only)")
    ax.set_xscale("log")
    ax.set_xlabel("stream size (events)")
    ax.set_ylabel("thousand events / s (median)")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    for x, y in zip(events, hp):
        ax.annotate(f"{y:.0f}k", (x, y), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=8)
    ax.set_title("Throughput against stream size (1 to 10 simulated Haikou centres)", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    fig.text(0.01, 0.005, comment, fontsize=6, color="gray")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(dst, metadata={"Date": None})
    print(f"wrote {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
