-- bench/orgs.lua: wrk script that asks for one organization picked at random per
-- request from a list (a size class of the bench district, chosen by bench/run.mjs),
-- so that a cache helps only as much as it would for real users. Env: DJ_COOKIE,
-- DJ_IDS (a file of organization ids, one a line), DJ_PATH (the request with %d where
-- the id goes, e.g. /api/v1/members?org_id=%d&limit=20). Prints the same JSON line as
-- report.lua.
local cookie = os.getenv("DJ_COOKIE")
local path = os.getenv("DJ_PATH")
local ids = {}
for line in io.lines(os.getenv("DJ_IDS")) do
  local n = tonumber(line)
  if n then ids[#ids + 1] = n end
end
assert(#ids > 0 and path, "DJ_IDS (a file of ids) and DJ_PATH are needed")

local next_thread = 0
setup = function(thread)
  thread:set("thread_no", next_thread)
  next_thread = next_thread + 1
end

init = function()
  math.randomseed(os.time() * 131 + (thread_no or 0) * 7919)
end

local headers = {}
if cookie then headers["Cookie"] = cookie end

request = function()
  return wrk.format("GET", string.format(path, ids[math.random(#ids)]), headers)
end

local statuses = {}
response = function(status, h, b)
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
