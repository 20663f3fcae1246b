#!/usr/bin/env bash
# Regenerates the figures and tables of papers/models-compared.md.
#
# Usage (from anywhere; about two minutes on two cores):
#     tools/compare_models.sh
#
# For each `accrual simulate` profile (lan, wan, gc, flaky) it simulates a
# trace (fixed seed; 4 nodes x 12 h at 100 ms, 8 nodes x 24 h for gc at 1 s),
# then runs `accrual tune` twice over it:
#   * once with every model on tune's default thresholds, for the chart
#     papers/figures/models-<profile>.svg;
#   * once per model on the finer (and, for the normal models, longer)
#     grid of tools/compare_models.py, for the tables; the results are kept
#     in papers/figures/models-<profile>-grid.csv.
# The traces themselves live in a temporary directory and are deleted.
# Finally tools/compare_models.py prints the Markdown tables.
#
# Environment: CARGO_TARGET_DIR (default target), JOBS (parallel tune runs,
# default: the number of cores), STEP_TIMEOUT (seconds allowed per tune run,
# default 600), SEED (default 2004) and OUT_DIR (default papers/figures), to
# check the conclusions on another seed without touching the committed files.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
jobs_max="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
step_timeout="${STEP_TIMEOUT:-600}"
out="${OUT_DIR:-$root/papers/figures}"
case "$out" in /*) ;; *) out="$root/$out" ;; esac
seed="${SEED:-2004}"
warmup=1000
models=(normal akka exponential chen 2w-fd bertier empirical timeout)

# profile -> "nodes duration_s interval_ms" (interval: the profile's default).
declare -A setup=(
    [lan]="4 43200 100"
    [wan]="4 43200 100"
    [gc]="8 86400 1000"
    [flaky]="4 43200 100"
)
profiles=(lan wan gc flaky)

SECONDS=0
echo "building the CLI ($target)" >&2
cargo build --quiet --release --features cli
bin="$target/release/accrual"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# Runs "$@" in the background, at most $jobs_max at a time, logging to
# $work/<name>.log; a failure is recorded and reported at the end.
run() {
    local name="$1"
    shift
    while (($(jobs -rp | wc -l) >= jobs_max)); do
        wait -n || true
    done
    (
        if ! timeout "$step_timeout" "$@" 2>"$work/$name.log"; then
            echo "compare_models: $name failed:" >&2
            cat "$work/$name.log" >&2
            touch "$work/failed"
        fi
    ) &
}

for p in "${profiles[@]}"; do
    read -r nodes duration interval <<<"${setup[$p]}"
    hours=$((duration / 3600))
    trace="$p-${nodes}x${hours}h-seed$seed.csv"
    echo "simulating $p: $nodes nodes x $hours h, seed $seed" >&2
    "$bin" simulate --profile "$p" --nodes "$nodes" --duration-s "$duration" \
        --seed "$seed" >"$work/$trace"
    # The chart: every model on tune's default grid. Run from the work
    # directory so the chart's title names the trace, not a temporary path.
    # The figures score the detectors alone, on the whole trace: no pause,
    # one σ floor (a tenth of the interval), no held-out split.
    fixed=(--no-validate --pause-ms 0 --min-std-ms "$(python3 -c "print($interval / 10)")")
    run "$p-default" bash -c 'cd "$1" && "$2" tune --trace "$3" --warmup "$4" \
        --format csv --plot "$5" "${@:7}" >"$6"' _ "$work" "$bin" "$trace" "$warmup" \
        "$out/models-$p.svg" "$work/$p-default.csv" "${fixed[@]}"
    # The tables: one run per model, each on its own grid and under the
    # library's default learning rule for it (every interval for Chen,
    # Akka's rule for the others), so that they describe the defaults;
    # the chart above shows tune's default grid, which scores both rules.
    for m in "${models[@]}"; do
        grid="$(python3 tools/compare_models.py grid "$m" "$interval")"
        case "$m" in
            chen) rule=(--learning all) ;;
            timeout) rule=() ;;
            *) rule=(--learning skip-suspected) ;;
        esac
        run "$p-$m" bash -c '"$1" tune --trace "$2" --warmup "$3" --models "$4" \
            --thresholds "$5" --format csv "${@:7}" >"$6"' _ "$bin" "$work/$trace" \
            "$warmup" "$m" "$grid" "$work/$p-$m.csv" "${fixed[@]}" "${rule[@]}"
    done
done
wait
if [[ -e "$work/failed" ]]; then
    exit 1
fi

for p in "${profiles[@]}"; do
    parts=()
    for m in "${models[@]}"; do
        parts+=("$work/$p-$m.csv")
    done
    python3 tools/compare_models.py merge "$out/models-$p-grid.csv" "${parts[@]}"
done

python3 tools/compare_models.py tables "$out"
echo "done in ${SECONDS} s; figures and grid results in $out" >&2
