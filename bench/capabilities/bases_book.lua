-- bench/capabilities/bases_book.lua: wrk script of bases.mjs: booking requests for
-- different slots of one base, one per request. Env: DJ_COOKIE, DJ_CSRF, DJ_BASE (the
-- base id), DJ_ORG (the booking organization), DJ_MONTH (YYYY-MM: days 1–28 of it),
-- DJ_SLOTS (slots a day: starts every 15 minutes from 00:00).
local cookie, csrf = os.getenv("DJ_COOKIE"), os.getenv("DJ_CSRF")
local base, org, month = os.getenv("DJ_BASE"), os.getenv("DJ_ORG"), os.getenv("DJ_MONTH")
local slots = tonumber(os.getenv("DJ_SLOTS") or "96")
local counter = 0
local next_thread = 0

setup = function(thread)
  thread:set("thread_no", next_thread)
  next_thread = next_thread + 1
end

request = function()
  counter = counter + 1
  local n = counter * 2 + (thread_no or 0)
  local day = 1 + (n % 28)
  local s = math.floor(n / 28) % slots
  local hm = string.format("%02d:%02d", math.floor(s * 15 / 60), (s * 15) % 60)
  local body = string.format('{"base_id":%s,"org_id":%s,"day":"%s-%02d","slot":"%s","headcount":1,"purpose":"压测预约","leader":"压测"}',
    base, org, month, day, hm)
  return wrk.format("POST", "/api/v1/base-bookings", {["Content-Type"] = "application/json", ["Cookie"] = cookie, ["X-CSRF-Token"] = csrf}, body)
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
