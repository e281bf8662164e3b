#!/usr/bin/env bash
# The gateway benchmark: the same backend (the echo backend) reached directly; through nginx as
# a plain reverse proxy (the cost of proxying alone); through `joseguard serve`; through nginx
# `auth_request` in front of joseguard's forward-auth endpoint; through HAProxy 2.6 with its
# built-in `jwt_verify` (signature, `iss`, `aud`, `exp`; no cache); and through Apache 2.4 +
# mod_auth_openidc as an OAuth 2.0 resource server. Same keys, same checks, ES256 and RS256
# bearer tokens (4 distinct, and COUNT distinct), and joseguard's JOSE body mode. wrk on core 0,
# servers on core 1, loopback only.
#
#   bash bench/gateway.sh                 # DURATION=8s COUNT=3000 CONNS="10 100 1000"
#   SOAK=600 bash bench/gateway.sh        # joseguard at half its peak for 600 s, RSS every 10 s
#   RUNTIME=1 bash bench/gateway.sh       # joseguard's runtime: one thread or two, on one core
#                                         #   and on two (what `serve --threads` defaults from)
#
# Installs what it needs (apt: wrk apache2 libapache2-mod-auth-openidc haproxy nginx openssl;
# release builds of joseguard and the bench helpers). Prints Markdown tables and writes them to
# target/bench/gateway.md (target/bench/soak.md for SOAK).
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
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
[ -x /usr/sbin/nginx ] || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null ||
    { $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null; }
  # The packages start system servers on port 80; this benchmark runs its own.
  for svc in apache2 nginx haproxy; do $sudo service "$svc" stop >/dev/null 2>&1 || true; done
fi
cargo build --release -q -p joseguard-cli -p joseguard-bench --bins

W=$(mktemp -d /tmp/joseguard-gw-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in apache haproxy nginx; do [ -f "$W/$f.pid" ] && kill "$(cat "$W/$f.pid")" 2>/dev/null; done
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
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
# HAProxy 2.6 reads a public key PEM (not a certificate) for jwt_verify.
for k in es256 rs256; do openssl pkey -in "$W/$k.key" -pubout -out "$W/$k.pub" 2>/dev/null; done
RAW_US=$(taskset -c 1 "$ROOT/target/release/bench-raw" "$W")
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
[forward_auth]
integration = "nginx"
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

HA=$(free_port)
cat > "$W/haproxy.cfg" <<CONF
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend api
    bind 127.0.0.1:$HA
    http-request deny deny_status 401 unless { req.hdr(authorization) -m beg "Bearer " }
    http-request set-var(txn.bearer) http_auth_bearer
    http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('\$.alg')
    http-request set-var(txn.iss) var(txn.bearer),jwt_payload_query('\$.iss')
    http-request set-var(txn.aud) var(txn.bearer),jwt_payload_query('\$.aud')
    http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('\$.exp','int')
    http-request set-var(txn.now) date()
    http-request deny deny_status 401 unless { var(txn.iss) -m str https://issuer.example }
    http-request deny deny_status 401 unless { var(txn.aud) -m str api }
    http-request deny deny_status 401 if { var(txn.exp),sub(txn.now) -m int lt 0 }
    http-request deny deny_status 401 unless { var(txn.alg) -m str ES256 } { var(txn.bearer),jwt_verify(txn.alg,"$W/es256.pub") -m int 1 } or { var(txn.alg) -m str RS256 } { var(txn.bearer),jwt_verify(txn.alg,"$W/rs256.pub") -m int 1 }
    default_backend echo
backend echo
    http-reuse always
    server echo 127.0.0.1:$BACKEND
CONF

NG=$(free_port); NGA=$(free_port)
cat > "$W/nginx.conf" <<CONF
worker_processes 1;
pid $W/nginx.pid;
error_log $W/nginx-error.log error;
events { worker_connections 8192; }
http {
    access_log off;
    upstream echo { server 127.0.0.1:$BACKEND; keepalive 128; }
    upstream joseguard { server 127.0.0.1:$JG; keepalive 128; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    server {
        listen 127.0.0.1:$NG;
        location / { proxy_pass http://echo; }
    }
    server {
        listen 127.0.0.1:$NGA;
        location / { auth_request /_auth; proxy_pass http://echo; }
        location = /_auth {
            internal;
            proxy_pass http://joseguard/_joseguard/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI \$request_uri;
            proxy_set_header X-Original-Method \$request_method;
        }
    }
}
CONF
chmod 755 "$W"; chmod 644 "$W"/*

start_joseguard() {
  RUST_LOG=warn taskset -c 1 "$ROOT/target/release/joseguard" serve --config "$W/${1:-joseguard}.toml" 2>>"$W/joseguard.log" & JGPID=$!
  PIDS+=($JGPID)
  wait_port "$JG"
}
stop_joseguard() { kill "$JGPID"; wait "$JGPID" 2>/dev/null || true; }
start_apache() { taskset -c 1 /usr/sbin/apache2 -f "$W/apache.conf" -k start; wait_port "$AP"; }
start_haproxy() { taskset -c 1 haproxy -q -f "$W/haproxy.cfg" -D -p "$W/haproxy.pid"; wait_port "$HA"; }
stop_haproxy() { kill "$(cat "$W/haproxy.pid")" 2>/dev/null || true; sleep 0.5; }
start_nginx() { taskset -c 1 /usr/sbin/nginx -c "$W/nginx.conf" -p "$W"; wait_port "$NG"; }
stop_nginx() { kill "$(cat "$W/nginx.pid")" 2>/dev/null || true; for _ in $(seq 50); do [ -f "$W/nginx.pid" ] || break; sleep 0.1; done; }
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
  echo "$name|$conns|$rps" >> "$W/results"
}

# rps NAME CONNS: a row's req/s from this run.
rps() { awk -F'|' -v n="$1" -v c="$2" '$1 == n && $2 == c {print $3}' "$W/results" | tail -1; }

# Joseguard at half its peak (ES256, COUNT tokens, 100 connections) for SOAK seconds; the RSS of
# the gateway every 10 s.
soak() {
  local out="$ROOT/target/bench/soak.md"
  mkdir -p "$(dirname "$out")"
  start_joseguard
  DURATION=5s run "joseguard ES256 (peak)" "$JG" es256-many.txt bearer 100 "joseguard serve" > /dev/null
  local half=$(( $(cat "$W/last-rps") / 2 ))
  {
    TOKENS="$W/es256-many.txt" MODE=bearer CONNS=100 RATE=$half taskset -c 0 wrk -t1 -c100 -d"${SOAK}s" --timeout 10s \
      -s "$ROOT/bench/wrk.lua" "http://127.0.0.1:$JG/" > "$W/soak-wrk.txt" & local load=$!
    echo "Soak: joseguard $(git -C "$ROOT" rev-parse --short HEAD), ES256, $COUNT tokens, 100 connections at $half req/s (half of the peak) for $SOAK s"
    echo
    echo "| t s | RSS MiB |"
    echo "|---|---|"
    for t in $(seq 0 10 "$SOAK"); do
      echo "| $t | $(( $(awk '/VmRSS/ {print $2}' "/proc/$JGPID/status") / 1024 )) |"
      [ "$t" -lt "$SOAK" ] && sleep 10
    done
    wait $load
    read -r _ r p50 p99 non2xx errs < <(grep '^RESULT' "$W/soak-wrk.txt")
    echo
    echo "Whole run: $r req/s, p50 $p50 ms, p99 $p99 ms, $((non2xx + errs)) errors"
  } | tee "$out"
  stop_joseguard
}
if [ -n "${SOAK:-}" ]; then soak; exit 0; fi

# joseguard with --threads 1 (tokio's current-thread runtime) and --threads 2 (a pool), pinned to
# core 1 (with the backend) or to both cores; ES256, COUNT tokens, cache on and off.
runtime() {
  local out="$ROOT/target/bench/runtime.md"
  {
    echo "| joseguard on | --threads | cache | conns | req/s | p99 ms |"
    echo "|---|---|---|---|---|---|"
    for cores in 1 0-1; do
      for threads in 1 2; do
        for cfg in joseguard joseguard-nocache; do
          for c in 10 100; do
            RUST_LOG=warn taskset -c "$cores" "$ROOT/target/release/joseguard" serve --config "$W/$cfg.toml" --threads "$threads" 2>>"$W/joseguard.log" & JGPID=$!
            wait_port "$JG"
            line=$(TOKENS="$W/es256-many.txt" MODE=bearer CONNS=$c taskset -c 0 wrk -t1 -c"$c" -d"$DURATION" --timeout 10s \
              -s "$ROOT/bench/wrk.lua" "http://127.0.0.1:$JG/" | grep '^RESULT')
            read -r _ r _ p99 _ _ <<<"$line"
            kill "$JGPID"; wait "$JGPID" 2>/dev/null || true
            label=$([ "$cores" = 1 ] && echo "core 1" || echo "cores 0-1")
            echo "| $label | $threads | $([ "$cfg" = joseguard ] && echo on || echo off) | $c | $r | $p99 |"
          done
        done
      done
    done
  } | tee "$out"
}
if [ -n "${RUNTIME:-}" ]; then runtime; exit 0; fi

OUT="$ROOT/target/bench/gateway.md"
mkdir -p "$(dirname "$OUT")"
{
echo "Machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //'); $(uname -sr)"
echo "Versions: joseguard $(git -C "$ROOT" rev-parse --short HEAD), $(/usr/sbin/apache2 -v | head -1 | sed 's/Server version: //'), mod_auth_openidc $(dpkg-query -W -f '${Version}' libapache2-mod-auth-openidc), $(haproxy -v | head -1 | awk '{print "HAProxy", $3}'), $(/usr/sbin/nginx -v 2>&1 | sed 's/.*: //'), $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}')"
echo "Run: wrk -t1 on core 0, servers on core 1, $DURATION per row, $COUNT distinct tokens for *many* rows"
echo
echo "| setup | conns | req/s | p50 ms | p99 ms | peak RSS MiB | errors |"
echo "|---|---|---|---|---|---|---|"
for c in $CONNS; do
  run "direct (floor)" "$BACKEND" es256-few.txt bearer "$c" bench-backend
  start_joseguard
  start_nginx
  run "nginx proxy, no check" "$NG" es256-few.txt bearer "$c" "nginx: "
  run "nginx auth_request + joseguard forward-auth ES256, $COUNT tokens" "$NGA" es256-many.txt bearer "$c" "nginx: |joseguard serve"
  stop_nginx
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
  start_haproxy
  run "HAProxy jwt_verify ES256, $COUNT tokens" "$HA" es256-many.txt bearer "$c" "haproxy -q -f $W"
  run "HAProxy jwt_verify RS256, $COUNT tokens" "$HA" rs256-many.txt bearer "$c" "haproxy -q -f $W"
  stop_haproxy
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
echo
echo "Verification without the cache (ES256, $COUNT tokens). Raw aws-lc-rs ES256 verify on core 1:"
echo "$RAW_US µs, so one core verifies at most $(awk -v r="$RAW_US" 'BEGIN {printf "%.0f", 1e6 / r}') tokens/s."
echo
echo "| conns | cache off req/s | % of the crypto limit | × HAProxy jwt_verify | verification µs/request (off − on) | × raw verify |"
echo "|---|---|---|---|---|---|"
for c in $CONNS; do
  off=$(rps "joseguard ES256, $COUNT tokens, cache off" "$c")
  on=$(rps "joseguard ES256, $COUNT tokens" "$c")
  ha=$(rps "HAProxy jwt_verify ES256, $COUNT tokens" "$c")
  awk -v c="$c" -v off="$off" -v on="$on" -v ha="$ha" -v raw="$RAW_US" 'BEGIN {
    cost = 1e6 / off - 1e6 / on
    printf "| %s | %.0f | %.0f %% | %.2f | %.1f | %.2f |\n", c, off, 100 * off * raw / 1e6, off / ha, cost, cost / raw
  }'
done
} | tee "$OUT"
