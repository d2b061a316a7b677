-- POST /workouts/adapt with a 30-session history; the body is read from the file HIPFLEX_BENCH_BODY names.
local file = io.open(os.getenv("HIPFLEX_BENCH_BODY"), "r")
local body = file:read("*a")
file:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
