-- GET the URL given to wrk with the tenant key from HIPFLEX_BENCH_KEY (the progress rows).
local key = os.getenv("HIPFLEX_BENCH_KEY")
request = function()
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. key})
end
