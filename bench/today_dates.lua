-- GET the URL given to wrk (a programme's /today) for a new ?date= each request, so each answer is computed
-- (not kept): the threads take turns over 844 days from 2025-09-07, the range a 16-week plan from 2026-09-07
-- may be asked about. The tenant key from HIPFLEX_BENCH_KEY.
local key = os.getenv("HIPFLEX_BENCH_KEY")
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  n = 0
end
request = function()
  local day = (id + 2 * n) % 844
  n = n + 1
  local when = os.date("!%Y-%m-%d", os.time({year = 2025, month = 9, day = 7, hour = 12}) + day * 86400)
  return wrk.format("GET", wrk.path .. "?date=" .. when, {["Authorization"] = "Bearer " .. key})
end
