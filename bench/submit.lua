-- wrk script of `GrantLedger.Bench http-posting` and `hot`: each HTTP request submits one prepared
-- draft claim (POST /api/v1/claims/{id}/submit with the declaration), as its school's business
-- manager. Arguments after `--`: the number of wrk threads, then a file of "claimId token" lines.
-- Thread t submits lines t, t + threads, t + 2*threads, ... once each; a thread that runs out of
-- drafts submits its last one again (answered 409, counted in the non-2xx figure). Counts the
-- answers by HTTP status and prints them at the end.
local threads_made = {}

function setup(thread)
  thread:set("tid", #threads_made)
  table.insert(threads_made, thread)
end

function init(args)
  local threads = tonumber(args[1])
  ids, tokens, next_one = {}, {}, 1
  local n = 0
  for line in io.lines(args[2]) do
    if n % threads == tid then
      local id, token = line:match("^(%d+) (%S+)$")
      ids[#ids + 1] = id
      tokens[#tokens + 1] = token
    end
    n = n + 1
  end
  body = '{"declaration": true}'
  statuses = {}
end

function request()
  local i = math.min(next_one, #ids)
  next_one = next_one + 1
  return wrk.format("POST", "/api/v1/claims/" .. ids[i] .. "/submit",
    { ["Authorization"] = "Bearer " .. tokens[i], ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- one "status NNN: count" line per HTTP status, for the benchmark's report
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads_made) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("status %d: %d\n", status, n)) end
end
