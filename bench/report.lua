-- bench/report.lua: wrk script. Optional env: DJ_COOKIE (session cookie), DJ_METHOD,
-- DJ_BODY, DJ_CSRF. Prints one JSON line with throughput and latency percentiles.
local cookie = os.getenv("DJ_COOKIE")
local method = os.getenv("DJ_METHOD") or "GET"
local body = os.getenv("DJ_BODY")
local csrf = os.getenv("DJ_CSRF")
wrk.method = method
if cookie then wrk.headers["Cookie"] = cookie end
if csrf then wrk.headers["X-CSRF-Token"] = csrf end
if body then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

local statuses = {}
response = function(status, headers, b)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local codes = {}
  for k, v in pairs(statuses) do codes[#codes + 1] = string.format('"%d":%d', k, v) end
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":%d,"status":{%s}}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    table.concat(codes, ",")))
end
