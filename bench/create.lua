-- bench/create.lua: wrk script that creates members with unique, valid ID numbers
-- (GB 11643 check character), one per request. Env: DJ_COOKIE, DJ_CSRF, DJ_ORG,
-- DJ_SEED (0..499, distinct per run so reruns do not collide: n = seed*20000 +
-- thread*10000 + counter covers 10,000,000 distinct (birth day, sequence) pairs).
local cookie, csrf, org = os.getenv("DJ_COOKIE"), os.getenv("DJ_CSRF"), os.getenv("DJ_ORG")
local seed = tonumber(os.getenv("DJ_SEED") or "1")
local counter = 0
local next_thread = 0
local weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local checks = "10X98765432"

-- thread:set() sets a global of the thread's own Lua state: read it as a global
setup = function(thread)
  thread:set("thread_no", next_thread)
  next_thread = next_thread + 1
end

local function id_number(n)
  -- area 110105 (never used by `dangjian demo`), birth 1950-01-01 + (n mod 10000) days
  -- (so every member is at least 18 when joining in 2000), sequence from n
  local day = n % 10000
  local t = os.time({year = 1950, month = 1, day = 1, hour = 12}) + day * 86400
  local birth = os.date("!%Y%m%d", t)
  local seq = string.format("%03d", math.floor(n / 10000) % 1000)
  local body = "110105" .. birth .. seq
  local s = 0
  for i = 1, 17 do s = s + tonumber(body:sub(i, i)) * weights[i] end
  local c = (s % 11) + 1
  return body .. checks:sub(c, c)
end

request = function()
  counter = counter + 1
  local n = seed * 20000 + (thread_no or 0) * 10000 + counter % 10000
  local body = string.format('{"org_id":%s,"name":"压测党员%d","id_number":"%s","party_status":"formal","joined_on":"2000-07-01","confirmed_on":"2001-07-01","ethnicity":"01","education":"21"}', org, n, id_number(n))
  return wrk.format("POST", "/api/v1/members", {["Content-Type"] = "application/json", ["Cookie"] = cookie, ["X-CSRF-Token"] = csrf}, body)
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
