-- bench/lib.lua: what the wrk scripts of `make bench` share (bench/report.lua, orgs.lua,
-- create.lua, capabilities/bases_book.lua). A script loads it with
--   local lib = dofile("bench/lib.lua")
-- (wrk runs from the repository's root: bench/run.mjs spawns it there) and calls
-- lib.report() once, which installs wrk's setup/response/done callbacks: threads are
-- numbered (the global thread_no of each thread's Lua state), every answer's status is
-- counted, and done() prints the one line run.mjs reads:
--   BENCH {"requests":…,"rps":…,"p50_us":…,"p99_us":…,"max_us":…,"errors":…,
--          "timeouts":…,"status":{"200":…,…}}
-- "errors" are socket errors and timeouts only (no answer at all); an answer that is not
-- 2xx is in "status" alone (wrk's own errors.status counts the same answers again: it is
-- left out, so that run.mjs does not count a 4xx/5xx twice).
local lib = {}

-- the numbers of a file, one a line (DJ_IDS: organization ids of a size class, …)
function lib.load_ids(file)
  assert(file, "a file of ids is needed (DJ_IDS)")
  local ids = {}
  for line in io.lines(file) do
    local n = tonumber(line)
    if n then ids[#ids + 1] = n end
  end
  assert(#ids > 0, "no id in " .. file)
  return ids
end

-- the request headers of the environment: DJ_COOKIE (a session), DJ_CSRF (writes), and a
-- JSON content type when json is true
function lib.headers(json)
  local h = {}
  local cookie, csrf = os.getenv("DJ_COOKIE"), os.getenv("DJ_CSRF")
  if cookie and cookie ~= "" then h["Cookie"] = cookie end
  if csrf and csrf ~= "" then h["X-CSRF-Token"] = csrf end
  if json then h["Content-Type"] = "application/json" end
  return h
end

-- a seed of its own for each thread (call from init())
function lib.seed()
  math.randomseed(os.time() * 131 + (thread_no or 0) * 7919)
end

function lib.report()
  -- setup() and done() run in wrk's main Lua state, request() and response() in each
  -- thread's own: a thread counts in its global `statuses`, done() adds the threads' up
  local threads = {}
  setup = function(thread)
    -- thread:set() sets a global of the thread's own Lua state: read it as a global
    thread:set("thread_no", #threads)
    threads[#threads + 1] = thread
  end
  response = function(status, headers, body)
    statuses = statuses or {}
    statuses[status] = (statuses[status] or 0) + 1
  end
  done = function(summary, latency, requests)
    local all = {}
    for _, t in ipairs(threads) do
      for k, v in pairs(t:get("statuses") or {}) do all[k] = (all[k] or 0) + v end
    end
    local codes = {}
    for k, v in pairs(all) do codes[#codes + 1] = string.format('"%d":%d', k, v) end
    local e = summary.errors
    io.write(string.format(
      'BENCH {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":%d,"timeouts":%d,"status":{%s}}\n',
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), latency.max,
      e.connect + e.read + e.write + e.timeout, e.timeout, table.concat(codes, ",")))
  end
end

return lib
