-- wrk script for `GrantLedger.Bench reads --auditor`: every request is a random line of the paths file, sent with one
-- bearer token (the auditor's).
-- wrk -t1 -c1 -d20s --latency -s bench/paths.lua http://127.0.0.1:PORT -- PATHS TOKEN
local paths = {}
local token
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  file:close()
  token = args[2]
  -- a different sequence per thread, the same every run
  math.randomseed(7919 * (id or 1) + #paths)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json, text/html" })
end

local failures = 0
function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("HTTP " .. status .. ": " .. body:sub(1, 300) .. "\n") end
  end
end
