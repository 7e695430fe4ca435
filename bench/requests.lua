-- wrk script for `GrantLedger.Bench reads`: every request is a random line of the requests file, "TOKEN PATH": a GET of
-- PATH with TOKEN as its bearer token (a school business manager's for their own school's reads, the auditor's for theirs).
-- wrk -t1 -c1 -d20s --latency -s bench/requests.lua http://127.0.0.1:PORT -- REQUESTS
local requests = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local token, path = line:match("^(%S+) (%S+)$")
    if token then requests[#requests + 1] = { token = token, path = path } end
  end
  file:close()
  -- a different sequence per thread, the same every run
  math.randomseed(7919 * (id or 1) + #requests)
end

function request()
  local r = requests[math.random(#requests)]
  return wrk.format("GET", r.path, { ["Authorization"] = "Bearer " .. r.token, ["Accept"] = "application/json, text/html" })
end

local failures = 0
function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("HTTP " .. status .. ": " .. body:sub(1, 300) .. "\n") end
  end
end
