-- bench/create.lua: wrk script that creates members with unique, valid ID numbers
-- (GB 11643 check character), one per request. Env: DJ_COOKIE, DJ_CSRF, DJ_ORG,
-- DJ_SEED (0..49, distinct per run so runs do not collide: n = seed*200000 +
-- thread*100000 + counter covers 10,000,000 distinct (birth day, sequence) pairs; a
-- thread's 100,000 numbers last 33 s at 3,000 creations/s: 10,000 wrapped at ~1,000/s
-- per thread and the repeats were refused with 409).
-- Prints the line of bench/lib.lua.
local lib = dofile("bench/lib.lua")
local org = os.getenv("DJ_ORG")
local headers = lib.headers(true)
local seed = tonumber(os.getenv("DJ_SEED") or "1")
local counter = 0
local weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local checks = "10X98765432"

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
  local n = seed * 200000 + (thread_no or 0) * 100000 + counter % 100000
  local body = string.format('{"org_id":%s,"name":"压测党员%d","id_number":"%s","party_status":"formal","joined_on":"2000-07-01","confirmed_on":"2001-07-01","ethnicity":"01","education":"21"}', org, n, id_number(n))
  return wrk.format("POST", "/api/v1/members", headers, body)
end

lib.report()
