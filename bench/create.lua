-- bench/create.lua: wrk script that creates members with unique, valid ID numbers
-- (GB 11643 check character), one per request. Env: DJ_COOKIE, DJ_CSRF, DJ_ORG,
-- DJ_SEED (distinct per run so reruns do not collide).
local cookie, csrf, org = os.getenv("DJ_COOKIE"), os.getenv("DJ_CSRF"), os.getenv("DJ_ORG")
local seed = tonumber(os.getenv("DJ_SEED") or "1")
local counter = 0
local thread_no = 0
local weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local checks = "10X98765432"

setup = function(thread)
  thread:set("thread_no", thread_no)
  thread_no = thread_no + 1
end

local function id_number(n)
  -- area 110105, birth 1960-01-01 + (n mod 12000) days, sequence from n
  local day = n % 12000
  local t = os.time({year = 1960, month = 1, day = 1, hour = 12}) + day * 86400
  local birth = os.date("!%Y%m%d", t)
  local seq = string.format("%03d", math.floor(n / 12000) % 1000)
  local body = "110105" .. birth .. seq
  local s = 0
  for i = 1, 17 do s = s + tonumber(body:sub(i, i)) * weights[i] end
  local c = (s % 11) + 1
  return body .. checks:sub(c, c)
end

request = function()
  counter = counter + 1
  local n = seed * 1000000 + thread_no * 500000 + counter
  local body = string.format('{"org_id":%s,"name":"压测党员%d","id_number":"%s","party_status":"formal","joined_on":"2000-07-01","confirmed_on":"2001-07-01","ethnicity":"01","education":"21"}', org, n, id_number(n))
  return wrk.format("POST", "/api/v1/members", {["Content-Type"] = "application/json", ["Cookie"] = cookie, ["X-CSRF-Token"] = csrf}, body)
end
