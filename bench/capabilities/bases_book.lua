-- bench/capabilities/bases_book.lua: wrk script of bases.mjs: booking requests for
-- different slots of one base, one per request. Env: DJ_COOKIE, DJ_CSRF, DJ_BASE (the
-- base id), DJ_ORG (the booking organization), DJ_MONTH (YYYY-MM: days 1–28 of it),
-- DJ_SLOTS (slots a day: starts every 15 minutes from 00:00). Prints the line of
-- bench/lib.lua.
local lib = dofile("bench/lib.lua")
local headers = lib.headers(true)
local base, org, month = os.getenv("DJ_BASE"), os.getenv("DJ_ORG"), os.getenv("DJ_MONTH")
local slots = tonumber(os.getenv("DJ_SLOTS") or "96")
local counter = 0

request = function()
  counter = counter + 1
  local n = counter * 2 + (thread_no or 0)
  local day = 1 + (n % 28)
  local s = math.floor(n / 28) % slots
  local hm = string.format("%02d:%02d", math.floor(s * 15 / 60), (s * 15) % 60)
  local body = string.format('{"base_id":%s,"org_id":%s,"day":"%s-%02d","slot":"%s","headcount":1,"purpose":"压测预约","leader":"压测"}',
    base, org, month, day, hm)
  return wrk.format("POST", "/api/v1/base-bookings", headers, body)
end

lib.report()
