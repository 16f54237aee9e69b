-- bench/report.lua: wrk script of one fixed request. Optional env: DJ_COOKIE (session
-- cookie), DJ_METHOD, DJ_BODY (JSON), DJ_CSRF; DJ_XFF=1: each request carries an
-- X-Forwarded-For of a random 10.x.y.z (public endpoints measured as many residents
-- behind the proxy, not one address over their per-address limit: the server is started
-- with --trusted-proxy 127.0.0.1 by bench/run.mjs). Prints the line of bench/lib.lua.
local lib = dofile("bench/lib.lua")
local body = os.getenv("DJ_BODY")
wrk.method = os.getenv("DJ_METHOD") or "GET"
for k, v in pairs(lib.headers(body ~= nil)) do wrk.headers[k] = v end
if body then wrk.body = body end

if os.getenv("DJ_XFF") == "1" then
  init = lib.seed
  request = function()
    wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
    return wrk.format()
  end
end

lib.report()
