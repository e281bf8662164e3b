#!/usr/bin/env bash
# Runs every fuzz target for FUZZ_SECONDS (default 10) each, after seeding the corpora from
# ../shared/vectors. Installs cargo-fuzz when missing; needs only the stable toolchain
# (RUSTC_BOOTSTRAP=1 unlocks the sanitizer flags). Exits non-zero on the first crash, naming the
# reproducer. FUZZ_TARGETS limits the run ("jws_verify jwe_decrypt").
#
#   FUZZ_SECONDS=600 bash fuzz/run.sh        # the long run recorded in docs/security.md
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-10}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked --quiet
fi

python3 seed.py ../../shared/vectors seeds >/dev/null
targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
cargo fuzz build -O 2>&1 | grep -E "^(error|warning)" -A6 || true
summary="target/last-run.txt"
mkdir -p target
: > "$summary"
for t in $targets; do
  mkdir -p "corpus/$t"
  log="target/$t.log"
  if ! cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz target $t failed:" >&2
    grep -E "ERROR|panicked|artifact_prefix|Test unit written" "$log" >&2 || tail -20 "$log" >&2
    exit 1
  fi
  runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" || echo "?")
  cov=$(grep -oE "cov: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || echo "?")
  ft=$(grep -oE "ft: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || echo "?")
  corpus=$(ls "corpus/$t" | wc -l)
  printf '%-16s %4ss  runs %-10s cov %-6s ft %-6s corpus %s\n' "$t" "$seconds" "$runs" "$cov" "$ft" "$corpus" | tee -a "$summary"
done
