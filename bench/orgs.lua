-- bench/orgs.lua: wrk script that asks for one organization picked at random per
-- request from a list (a size class of the bench district, chosen by bench/run.mjs),
-- so that a cache helps only as much as it would for real users. Env: DJ_COOKIE,
-- DJ_IDS (a file of organization ids, one a line), DJ_PATH (the request with %d where
-- the id goes, e.g. /api/v1/members?org_id=%d&limit=20). Prints the line of bench/lib.lua.
local lib = dofile("bench/lib.lua")
local path = os.getenv("DJ_PATH")
assert(path, "DJ_PATH is needed")
local ids = lib.load_ids(os.getenv("DJ_IDS"))
local headers = lib.headers(false)

init = lib.seed

request = function()
  return wrk.format("GET", string.format(path, ids[math.random(#ids)]), headers)
end

lib.report()
