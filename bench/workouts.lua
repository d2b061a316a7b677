-- GET /workouts with a random seed and a rotating query, so nothing is cached.
local queries = {
  "goal=balanced&level=beginner&minutes=20",
  "goal=strength&level=advanced&equipment=pull_up_bar,band&minutes=30",
  "goal=rehab&level=intermediate&equipment=ball,mini_band,bench&pain=knee&minutes=25",
  "goal=mobility&level=beginner&equipment=band,wall&pain=knee&minutes=20",
  "goal=posture&level=intermediate&equipment=wall&tight_side=left&minutes=15",
  "goal=warmup&level=advanced&equipment=mini_band&minutes=10",
}
math.randomseed(os.time())
request = function()
  local q = queries[math.random(#queries)]
  return wrk.format("GET", "/workouts?" .. q .. "&seed=" .. math.random(0, 2147483647))
end
