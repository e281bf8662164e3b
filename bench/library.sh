#!/usr/bin/env bash
# The library benchmark: raw aws-lc-rs (the floor), joseguard, and each peer (jsonwebtoken,
# jwt-simple, josekit), every JWT and JWE row, then one Markdown table with medians and ratios
# to the floor measured in the same binary. Installs what the peers need (cmake, clang,
# libclang-dev for jwt-simple's BoringSSL; libssl-dev, pkg-config for josekit).
#
#   bash bench/library.sh            # writes target/bench/library.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
need=()
for p in cmake clang libclang-dev libssl-dev pkg-config; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null ||
    { $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null; }
fi
OUT="$ROOT/target/bench"
mkdir -p "$OUT"
rm -rf "$OUT"/criterion-*

cargo bench -q -p joseguard-bench --bench floor >/dev/null
cp -r "$ROOT/target/criterion" "$OUT/criterion-floor"
for peer in jsonwebtoken jwt-simple josekit; do
  rm -rf "$ROOT/target/peers/criterion"
  (cd bench/peers && CARGO_TARGET_DIR="$ROOT/target/peers" cargo bench -q -p "peer-$peer" --bench peer >/dev/null)
  cp -r "$ROOT/target/peers/criterion" "$OUT/criterion-$peer"
done
python3 bench/report.py "$OUT" | tee "$OUT/library.md"
