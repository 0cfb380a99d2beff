#!/usr/bin/env python3
"""Plots wall time from the Markdown table that bench/run-end-to-end.sh
prints (read from stdin), into the PNG named on the command line: on the
left against mailboxes, on the right against stores (the store-scaling
series: rows in one site on at least 100 stores, the `-1site` sizes). Both
log-log. Needs matplotlib (pip install matplotlib)."""
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = []
for line in sys.stdin:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 8 and cells[0].isdigit():
        rows.append((int(cells[0]), int(cells[1]), float(cells[4]), int(cells[2])))
if not rows:
    sys.exit("no timing table on stdin")

fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.5), dpi=110)
single = sorted((s, m, t) for m, s, t, sites in rows if sites == 1 and s >= 100)
rows = [(m, s, t, sites) for m, s, t, sites in rows if not (sites == 1 and s >= 100)]
fixed = sorted((m, t) for m, s, t, _ in rows if s == 200)
# Stores grown with the mailboxes: every size not on 200 stores, and the
# largest, which is on 200.
largest = max(m for m, _, _, _ in rows)
scaled = sorted((m, t) for m, s, t, _ in rows if s != 200 or m == largest)
ax.loglog([m for m, _ in scaled], [t for _, t in scaled], "o-", label="sites of 20 stores, grown with the mailboxes")
ax.loglog([m for m, _ in fixed], [t for _, t in fixed], "s--", label="200 stores in 10 sites")
# An n log n reference through the 100,000-mailbox point on 200 stores.
if fixed:
    m0, t0 = fixed[0]
    xs = [m0 * f for f in (1, 2, 4, 10)]
    ax.loglog(xs, [t0 * (x * math.log(x)) / (m0 * math.log(m0)) for x in xs], ":", color="grey", label="n log n from 100,000 mailboxes")
ax.axhline(3.0, color="red", linewidth=0.8)
ax.text(5000, 2.3, "target: 3 s for 1,000,000 mailboxes", color="red", fontsize=8)
ax.set_xlabel("mailboxes")
ax.set_ylabel("wall time, seconds (median)")
ax.set_title("planner plan --format json, release build, 2 cores")
ax.grid(True, which="both", linewidth=0.3)
ax.legend(fontsize=8, loc="lower right")
# Stores: 100,000 mailboxes on 100 to 800 stores, and 300,000 on 3,000.
if single:
    same = [(s, t) for s, m, t in single if m == 100000]
    bx.loglog([s for s, _ in same], [t for _, t in same], "o-", label="100,000 mailboxes, one site")
    other = [(s, t, m) for s, m, t in single if m != 100000]
    for s, t, m in other:
        bx.loglog([s], [t], "D", label=f"{m:,} mailboxes on {s:,} stores, one site")
    if same:
        s0, t0 = same[0]
        xs = [s0 * f for f in (1, 2, 4, 8)]
        bx.loglog(xs, [t0 * x / s0 for x in xs], ":", color="grey", label=f"linear from {s0} stores")
        bx.loglog([s0, s0 * 8], [t0 * 12, t0 * 12], color="red", linewidth=0.8, label=f"target: 12x the {s0}-store time")
    bx.axhline(10.0, color="orange", linewidth=0.8, label="target: 3,000 stores in 10 s")
    bx.set_xlabel("mailstores (one in ten new)")
    bx.set_ylabel("wall time, seconds (median)")
    bx.set_title("against stores, one site")
    bx.grid(True, which="both", linewidth=0.3)
    bx.legend(fontsize=7, loc="upper left")
else:
    bx.set_visible(False)
fig.tight_layout()
fig.savefig(sys.argv[1])
