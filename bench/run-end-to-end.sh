#!/usr/bin/env bash
# End-to-end timings of `planner plan --format json` on generated inventories.
#
# usage: bench/run-end-to-end.sh [MAILBOXESxSTORES[-1site] ...]
#
#   Default sizes: 5000x5 100000x20 1000000x200 (sites of 20 stores, so the
#   last is 10 sites). Add 300000x60 for a fourth point on the curve. A size
#   ending in -1site is generated with --single-site: every store in one site,
#   one in ten new (the store-scaling shapes: 100000x100-1site ...
#   100000x800-1site, 300000x3000-1site).
#
# For each size it generates the inventory once (cached in target/bench-data/,
# regenerated when gen-inventory is rebuilt), builds the release binaries, and
# times RUNS runs of
#
#   planner plan INVENTORY --format json --now 2026-11-29T00:00:00Z > /dev/null
#
# under /usr/bin/time -v: wall time (median and fastest; measured with the
# shell's microsecond clock around the run, since time -v rounds to 10 ms),
# CPU time and peak resident memory. The plan goes to stdout, redirected to
# /dev/null: `--output FILE` would add an fsync, and `--output /dev/null`
# would rename a temporary file onto /dev/null.
#
# For sizes of at least VERIFY_FROM mailboxes it also writes the plan to a file,
# runs `planner verify` on it (timed the same way) and checks that every
# mailbox of the old stores is switched away from its store exactly as the
# gqu exports list it (and compares summary.mailboxes_moved with their count).
# It exits 1 when a plan is refused, verify fails or the move check fails.
#
# Environment:
#   RUNS=3                    timed runs per size
#   SEED=1                    generator seed
#   DATA=target/bench-data    cache of generated inventories, plans and logs
#   VERIFY_FROM=100000        smallest size that is verified and checked
#   NOW=2026-11-29T00:00:00Z  the plans' reference time
#   RATES=                    1: generate with --rates (the enterprise example's
#                             rates, so the plans carry estimates)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
SEED=${SEED:-1}
DATA=${DATA:-target/bench-data}
VERIFY_FROM=${VERIFY_FROM:-100000}
NOW=${NOW:-2026-11-29T00:00:00Z}
RATES=${RATES:-}

if [ "$#" -gt 0 ]; then
    sizes=("$@")
else
    sizes=(5000x5 100000x20 1000000x200)
fi
for size in "${sizes[@]}"; do
    if ! [[ "$size" =~ ^[0-9]+x[0-9]+(-1site)?$ ]]; then
        echo "error: size \`$size\` is not MAILBOXESxSTORES[-1site], such as 100000x20" >&2
        exit 2
    fi
done

if [ ! -x /usr/bin/time ]; then
    echo "/usr/bin/time is missing; installing it (Debian package \`time\`)" >&2
    apt-get update -qq && apt-get install -y -qq time >&2
fi

echo "building release binaries..." >&2
cargo build --release --quiet -p planner-cli --bin planner -p planner-bench --bin gen-inventory
planner=target/release/planner
gen=target/release/gen-inventory

# One run under /usr/bin/time -v, its stdout into OUT; sets WALL (s), CPU (s),
# RSS (KiB) and RC.
timed() {
    local log=$1 out=$2
    shift 2
    local start end
    start=$EPOCHREALTIME
    set +e
    /usr/bin/time -v -o "$log" "$@" > "$out"
    RC=$?
    set -e
    end=$EPOCHREALTIME
    WALL=$(python3 -c "print(f'{$end - $start:.3f}')")
    RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    CPU=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u + s}' "$log")
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(rustc --version)" >&2
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

rows=()
checks=()
failed=0
for size in "${sizes[@]}"; do
    shape=${size%-1site}
    n=${shape%x*}
    s=${shape#*x}
    extra=()
    suffix=""
    if [ "$shape" != "$size" ]; then
        extra+=(--single-site)
        suffix="-1site"
    fi
    if [ -n "$RATES" ]; then
        extra+=(--rates)
        suffix="$suffix-rates"
    fi
    dir="$DATA/${n}x${s}$suffix-seed$SEED"
    inv="$dir/inventory.yaml"
    if [ ! -f "$inv" ] || [ "$gen" -nt "$inv" ]; then
        rm -rf "$dir"
        start=$EPOCHREALTIME
        "$gen" --mailboxes "$n" --stores "$s" --seed "$SEED" "${extra[@]}" --out "$dir" >&2
        echo "  generated in $(python3 -c "print(f'{$EPOCHREALTIME - $start:.1f}')") s" >&2
    fi
    sites=$(python3 -c "import json; print(json.load(open('$dir/manifest.json'))['sites'])")

    walls=()
    cpus=()
    peak=0
    for run in $(seq 1 "$RUNS"); do
        echo "plan ${n}x${s}, run $run of $RUNS..." >&2
        timed "$dir/time-plan-$run.txt" /dev/null "$planner" plan "$inv" --format json --now "$NOW"
        if [ "$RC" -ne 0 ]; then
            echo "error: planner plan exited $RC on $inv (see $dir/time-plan-$run.txt)" >&2
            exit 1
        fi
        echo "  wall $WALL s, cpu $CPU s, peak RSS $(mib "$RSS") MiB" >&2
        walls+=("$WALL")
        cpus+=("$CPU")
        if [ "$RSS" -gt "$peak" ]; then
            peak=$RSS
        fi
    done
    wall_median=$(printf '%s\n' "${walls[@]}" | median)
    wall_min=$(printf '%s\n' "${walls[@]}" | sort -g | head -1)
    cpu_median=$(printf '%s\n' "${cpus[@]}" | median)
    rows+=("| $n | $s | $sites | $RUNS | $wall_median | $wall_min | $cpu_median | $(mib "$peak") |")

    if [ "$n" -ge "$VERIFY_FROM" ]; then
        plan="$dir/plan.json"
        echo "plan ${n}x${s} into $plan (not timed)..." >&2
        "$planner" plan "$inv" --format json --now "$NOW" > "$plan"
        echo "verify ${n}x${s}..." >&2
        timed "$dir/time-verify.txt" "$dir/verify.txt" "$planner" verify "$plan" --inventory "$inv"
        verify_rc=$RC
        verify_wall=$WALL
        verify_rss=$(mib "$RSS")
        cat "$dir/verify.txt" >&2
        echo "move check ${n}x${s}..." >&2
        moves=$(python3 - "$dir" "$plan" <<'EOF'
import json, sys

folder, plan_path = sys.argv[1], sys.argv[2]
manifest = json.load(open(f"{folder}/manifest.json"))
# Where each mailbox of an old store starts, read from the exports themselves.
origin = {}
for store in manifest["store_list"]:
    if store["at_target"]:
        continue
    with open(f"{folder}/{store['file']}") as f:
        for line in f:
            if line.strip():
                origin[line.split()[0].lower()] = store["name"]
plan = json.load(open(plan_path))
summary = plan["summary"]
moved_away = set()
for wave in plan["waves"]:
    for step in wave["steps"]:
        if step["kind"] == "move-switch":
            for account in step["accounts"]:
                if origin.get(account) == step["source"]:
                    moved_away.add(account)
old = len(origin)
complete = len(moved_away) == old
counts = summary["mailboxes_moved"] - summary["mailboxes_moved_twice"] == old
verdict = "ok" if complete and counts else "FAILED"
print(
    f"{verdict}: {len(moved_away)} of {old} mailboxes of old stores switched away from their store;"
    f" summary.mailboxes_moved {summary['mailboxes_moved']}"
    f" (mailboxes_moved_twice {summary['mailboxes_moved_twice']});"
    f" strategy {plan['strategy']['chosen']}; {summary['waves']} waves"
)
EOF
)
        if [ "$verify_rc" -ne 0 ] || [[ "$moves" != ok:* ]]; then
            failed=1
        fi
        plan_mib=$(awk -v b="$(stat -c %s "$plan")" 'BEGIN {printf "%.0f", b / 1048576}')
        checks+=("| $n | $s | $plan_mib | $verify_rc | $verify_wall | $verify_rss | $moves |")
    fi
done

echo
echo "planner plan --format json --now $NOW > /dev/null (release build; $RUNS runs; seed $SEED)"
echo
echo "| mailboxes | stores | sites | runs | wall s (median) | wall s (fastest) | CPU s (median) | peak RSS MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
if [ "${#checks[@]}" -gt 0 ]; then
    echo
    echo "planner verify PLAN.json --inventory INVENTORY, and the move check"
    echo
    echo "| mailboxes | stores | plan MiB | verify exit | verify wall s | verify peak RSS MiB | moves |"
    echo "|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${checks[@]}"
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$failed"
