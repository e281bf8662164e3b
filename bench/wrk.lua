-- wrk script for bench/gateway.sh: rotates through the tokens in $TOKENS (one per line), as a
-- bearer token (MODE=bearer, GET /api/...) or as a compact JWS body (MODE=body, POST /doc,
-- Content-Type: application/jose). RATE=N paces the whole run near N requests/s (a delay per
-- connection of CONNS*1000/N ms). Prints one RESULT line: rps p50_ms p99_ms non2xx errors.
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do
  tokens[#tokens + 1] = line
end
local i = 0
local mode = os.getenv("MODE") or "bearer"
local rate = tonumber(os.getenv("RATE") or "0")
local conns = tonumber(os.getenv("CONNS") or "1")

request = function()
  i = i % #tokens + 1
  if mode == "body" then
    return wrk.format("POST", "/doc", { ["Content-Type"] = "application/jose" }, tokens[i])
  end
  return wrk.format("GET", "/api/item/" .. i, { ["Authorization"] = "Bearer " .. tokens[i] })
end

if rate > 0 then
  delay = function()
    return conns * 1000 / rate
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
