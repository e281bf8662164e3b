#!/usr/bin/env bash
# The gateway benchmark: the same backend reached (a) directly, (b) through `joseguard serve`,
# (c) through Apache 2.4 + mod_auth_openidc as an OAuth 2.0 resource server with the same keys
# and issuer/audience checks; ES256 and RS256 bearer tokens (4 distinct, and COUNT distinct),
# and joseguard's JOSE body mode. wrk on core 0, servers on core 1, loopback only.
#
#   bash bench/gateway.sh                 # DURATION=8s COUNT=3000 CONNS="10 100 1000"
#
# Installs what it needs (apt: wrk apache2 libapache2-mod-auth-openidc openssl; release builds of
# joseguard and the bench helpers). Prints a Markdown table and writes it to
# target/bench/gateway.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION="${DURATION:-8s}"
COUNT="${COUNT:-3000}"
CONNS="${CONNS:-10 100 1000}"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v openssl >/dev/null || need+=(openssl)
[ -x /usr/sbin/apache2 ] || need+=(apache2)
[ -f /usr/lib/apache2/modules/mod_auth_openidc.so ] || need+=(libapache2-mod-auth-openidc)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null ||
    { $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null; }
  # The package starts a system Apache on port 80; this benchmark runs its own.
  $sudo service apache2 stop >/dev/null 2>&1 || true
fi
cargo build --release -q -p joseguard-cli -p joseguard-bench --bins

W=$(mktemp -d /tmp/joseguard-gw-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; [ -f "$W/apache.pid" ] && kill "$(cat "$W/apache.pid")" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$W"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

# Keys, certificates (mod_auth_openidc reads X.509 certificates), tokens.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/es256.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/rs256.key" 2>/dev/null
for k in es256 rs256; do
  openssl req -x509 -new -key "$W/$k.key" -subj "/CN=bench-$k" -days 2 -out "$W/$k.crt" 2>/dev/null
done
"$ROOT/target/release/bench-tokens" "$W" "$COUNT"
# mod_auth_openidc 2.4.12 reads EC keys only from a JWK Set URL, and only over https: serve
# bench-tokens' jwks.json with a throwaway certificate (validation off in Apache's config).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/tls.key" -out "$W/tls.crt" -subj /CN=127.0.0.1 -days 2 2>/dev/null
JWKS=$(free_port)
(cd "$W" && exec python3 -c "
import http.server, ssl
s = http.server.HTTPServer(('127.0.0.1', $JWKS), http.server.SimpleHTTPRequestHandler)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain('tls.crt', 'tls.key')
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()" 2>/dev/null) & PIDS+=($!)

BACKEND=$(free_port)
taskset -c 1 "$ROOT/target/release/bench-backend" "$BACKEND" & PIDS+=($!)
wait_port "$BACKEND"
wait_port "$JWKS"

JG=$(free_port)
cat > "$W/joseguard.toml" <<TOML
[server]
listen = "127.0.0.1:$JG"
watch_interval = "0s"
[backend]
url = "http://127.0.0.1:$BACKEND"
[[issuer]]
name = "bench"
iss = "https://issuer.example"
algorithms = ["ES256", "RS256"]
audiences = ["api"]
[issuer.keys]
es256 = { file = "es256.crt" }
rs256 = { file = "rs256.crt" }
[[route]]
path = "/api"
issuers = ["bench"]
[[route]]
path = "/doc"
issuers = ["bench"]
mode = "jose-body"
TOML
# The same without the verified-token cache: every request verifies its signature.
sed 's/^watch_interval = "0s"$/watch_interval = "0s"\nverified_token_cache = 0/' "$W/joseguard.toml" > "$W/joseguard-nocache.toml"

AP=$(free_port)
M=/usr/lib/apache2/modules
cat > "$W/apache.conf" <<CONF
ServerRoot $W
ServerName 127.0.0.1
Listen 127.0.0.1:$AP
PidFile $W/apache.pid
ErrorLog $W/apache-error.log
LogLevel error
User www-data
Group www-data
LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule authn_core_module $M/mod_authn_core.so
LoadModule proxy_module $M/mod_proxy.so
LoadModule proxy_http_module $M/mod_proxy_http.so
LoadModule auth_openidc_module $M/mod_auth_openidc.so
StartServers 2
ServerLimit 32
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 2048
KeepAlive On
MaxKeepAliveRequests 0
OIDCCryptoPassphrase joseguard-bench
OIDCOAuthVerifyJwksUri https://127.0.0.1:$JWKS/jwks.json
OIDCSSLValidateServer Off
OIDCOAuthSSLValidateServer Off
OIDCOAuthAcceptTokenAs header
<Location /api>
  AuthType oauth20
  <RequireAll>
    Require claim iss:https://issuer.example
    Require claim aud:api
  </RequireAll>
</Location>
ProxyPass /api http://127.0.0.1:$BACKEND/api
CONF
chmod 755 "$W"; chmod 644 "$W"/*

start_joseguard() {
  RUST_LOG=warn taskset -c 1 "$ROOT/target/release/joseguard" serve --config "$W/${1:-joseguard}.toml" 2>>"$W/joseguard.log" & JGPID=$!
  PIDS+=($JGPID)
  wait_port "$JG"
}
stop_joseguard() { kill "$JGPID"; wait "$JGPID" 2>/dev/null || true; }
start_apache() { taskset -c 1 /usr/sbin/apache2 -f "$W/apache.conf" -k start; wait_port "$AP"; }
stop_apache() { /usr/sbin/apache2 -f "$W/apache.conf" -k stop; for _ in $(seq 50); do [ -f "$W/apache.pid" ] || break; sleep 0.1; done; sleep 0.5; }

# Peak RSS (MiB) of the processes matching $1, sampled every 100 ms while wrk runs.
sample_rss() {
  local pattern=$1 out=$2 max=0
  while [ -f "$W/sampling" ]; do
    local sum=0
    for p in $(pgrep -f "$pattern" || true); do
      local r; r=$(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
      sum=$((sum + ${r:-0}))
    done
    [ "$sum" -gt "$max" ] && max=$sum
    sleep 0.1
  done
  echo $((max / 1024)) > "$out"
}

# run NAME PORT TOKENS MODE CONNS RSS_PATTERN [RATE]
run() {
  local name=$1 port=$2 tokens=$3 mode=$4 conns=$5 pattern=$6 rate=${7:-0}
  touch "$W/sampling"; sample_rss "$pattern" "$W/rss" & local sampler=$!
  local threads=1
  local line
  line=$(TOKENS="$W/$tokens" MODE=$mode CONNS=$conns RATE=$rate taskset -c 0 wrk -t$threads -c"$conns" -d"$DURATION" --timeout 10s \
    -s "$ROOT/bench/wrk.lua" "http://127.0.0.1:$port/" | grep '^RESULT')
  rm -f "$W/sampling"; wait $sampler
  read -r _ rps p50 p99 non2xx errs <<<"$line"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$conns" "$rps" "$p50" "$p99" "$(cat "$W/rss")" "$((non2xx + errs))"
  echo "$rps" > "$W/last-rps"
}

OUT="$ROOT/target/bench/gateway.md"
mkdir -p "$(dirname "$OUT")"
{
echo "Machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //'); $(uname -sr)"
echo "Versions: joseguard $(git -C "$ROOT" rev-parse --short HEAD), $(/usr/sbin/apache2 -v | head -1 | sed 's/Server version: //'), mod_auth_openidc $(dpkg-query -W -f '${Version}' libapache2-mod-auth-openidc), $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}')"
echo "Run: wrk -t1 on core 0, servers on core 1, $DURATION per row, $COUNT distinct tokens for *many* rows"
echo
echo "| setup | conns | req/s | p50 ms | p99 ms | peak RSS MiB | errors |"
echo "|---|---|---|---|---|---|---|"
for c in $CONNS; do
  run "direct (floor)" "$BACKEND" es256-few.txt bearer "$c" bench-backend
  start_joseguard
  run "joseguard ES256, 4 tokens" "$JG" es256-few.txt bearer "$c" "joseguard serve"
  stop_joseguard; start_joseguard
  run "joseguard ES256, $COUNT tokens" "$JG" es256-many.txt bearer "$c" "joseguard serve"
  stop_joseguard; start_joseguard joseguard-nocache
  run "joseguard ES256, $COUNT tokens, cache off" "$JG" es256-many.txt bearer "$c" "joseguard serve"
  stop_joseguard; start_joseguard
  run "joseguard RS256, $COUNT tokens" "$JG" rs256-many.txt bearer "$c" "joseguard serve"
  stop_joseguard; start_joseguard
  run "joseguard JOSE body ES256" "$JG" body-few.txt body "$c" "joseguard serve"
  stop_joseguard
  start_apache
  run "Apache mod_auth_openidc ES256, 4 tokens" "$AP" es256-few.txt bearer "$c" "apache2 -f $W"
  run "Apache mod_auth_openidc ES256, $COUNT tokens" "$AP" es256-many.txt bearer "$c" "apache2 -f $W"
  run "Apache mod_auth_openidc RS256, $COUNT tokens" "$AP" rs256-many.txt bearer "$c" "apache2 -f $W"
  stop_apache
done
echo
echo "Latency at half of joseguard's peak (ES256, $COUNT tokens, 100 connections):"
echo
echo "| setup | conns | req/s | p50 ms | p99 ms | peak RSS MiB | errors |"
echo "|---|---|---|---|---|---|---|"
start_joseguard
run "joseguard ES256 (peak)" "$JG" es256-many.txt bearer 100 "joseguard serve" > /dev/null
half=$(( $(cat "$W/last-rps") / 2 ))
run "direct at $half req/s" "$BACKEND" es256-many.txt bearer 100 bench-backend "$half"
run "joseguard at $half req/s" "$JG" es256-many.txt bearer 100 "joseguard serve" "$half"
stop_joseguard
} | tee "$OUT"
