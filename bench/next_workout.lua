-- GET the next workout of the bench user (2,000 logs) with rotating seeds; the key comes from HIPFLEX_BENCH_KEY.
local key = os.getenv("HIPFLEX_BENCH_KEY")
local user = os.getenv("HIPFLEX_BENCH_USER")
local n = 0
request = function()
  n = n + 1
  local headers = {["Authorization"] = "Bearer " .. key}
  return wrk.format("GET", "/users/" .. user .. "/workouts/next?goal=rehab&equipment=mini_band,bench&seed=" .. (n % 1000), headers)
end
