-- POST /workouts/adapt with a 30-session history (the file HIPFLEX_BENCH_BODY names), each request a
-- different history: every set's RPE is rewritten from a counter, as real users' histories differ, so no
-- cache keyed on the body or on a session's content can answer it.
local file = io.open(os.getenv("HIPFLEX_BENCH_BODY"), "r")
local template = file:read("*a")
file:close()
local n = 0
request = function()
  n = n + 1
  local i = 0
  local body = template:gsub('"rpe": %d+', function()
    i = i + 1
    return '"rpe": ' .. (4 + (n + i) % 6)
  end)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
