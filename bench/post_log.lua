-- POST a typical five-entry log for a rotating user; the key comes from HIPFLEX_BENCH_KEY.
local key = os.getenv("HIPFLEX_BENCH_KEY")
local body = [[{"performed_at":"2026-11-20T07:30:00+00:00","duration_minutes":25,"session_rpe":6,"pain_before":2,"pain_after":1,"notes":"felt good","entries":[
{"exercise":"core-brace","sets":[{"reps":20,"hold_seconds":10,"rpe":4},{"reps":20,"hold_seconds":10,"rpe":5}]},
{"exercise":"isometric-hip-flexion-mini-band","sets":[{"reps":10,"hold_seconds":4,"side":"left"},{"reps":10,"hold_seconds":4,"side":"right"}]},
{"exercise":"marching-resisted-bridge","sets":[{"reps":10,"rpe":6},{"reps":10,"rpe":7}]},
{"exercise":"side-plank-clamshell","sets":[{"reps":15,"side":"left"},{"reps":15,"side":"right"}]},
{"exercise":"half-kneeling-hip-flexor-stretch","sets":[{"reps":1,"hold_seconds":30,"side":"both","pain":1}]}]}]]
local n = 0
request = function()
  n = n + 1
  local headers = {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}
  return wrk.format("POST", "/users/bench-user-" .. (n % 500) .. "/logs", headers, body)
end
