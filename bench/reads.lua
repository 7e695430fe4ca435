-- wrk script for `GrantLedger.Bench reads`: every request is a random line of the targets file
-- (one school business manager's token, one of their school's accounts, the school and programme).
-- wrk -t1 -c1 -d20s --latency -s bench/reads.lua http://127.0.0.1:PORT -- TARGETS MODE
-- MODE: statement | statement-dated | balances | balances-dated
local targets = {}
local mode
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local token, account, school, programme = line:match("^(%S+) (%d+) (%d+) (%d+)$")
    if token then targets[#targets + 1] = { token = token, account = account, school = school, programme = programme } end
  end
  file:close()
  mode = args[2]
  -- a different sequence per thread, the same every run
  math.randomseed(7919 * (id or 1) + #targets)
end

function request()
  local t = targets[math.random(#targets)]
  local path
  if mode == "statement" then
    path = "/api/v1/accounts/" .. t.account .. "/statement"
  elseif mode == "statement-dated" then
    path = "/api/v1/accounts/" .. t.account .. "/statement?from=2026-09-01"
  elseif mode == "balances" then
    path = "/api/v1/programmes/" .. t.programme .. "/accounts?schoolId=" .. t.school
  else
    path = "/api/v1/programmes/" .. t.programme .. "/accounts?schoolId=" .. t.school .. "&asOf=2026-10-31"
  end
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. t.token, ["Accept"] = "application/json" })
end

local failures = 0
function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("HTTP " .. status .. ": " .. body:sub(1, 300) .. "\n") end
  end
end
