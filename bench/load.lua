-- wrk script for bench/suite.py's concurrent load (see bench/README.md).
--
-- Each connection is one user: it cycles through the plan's requests (a session
-- cookie of a logged-in user and a page of her scope), starting at a random place,
-- and waits a random think time between two pages. Environment:
--   UUTU_WRK_PLAN      file of lines "<sessionid cookie>\t<path>"
--   UUTU_WRK_THINK     "min,max" think time in ms (default "1000,5000")
--   UUTU_WRK_MAX       requests per wrk thread, then the thread stops (0: no bound)
-- At the end it prints one line "UUTU_WRK_JSON {...}" with the figures.

local plan = {}
local think_min, think_max = 1000, 5000
local max_requests = 0
local counter = 0
local sent = 0
local threads = {}

local function load_plan()
  local file = assert(io.open(os.getenv("UUTU_WRK_PLAN"), "r"))
  for line in file:lines() do
    local cookie, path = line:match("^([^\t]+)\t(.+)$")
    if cookie then
      plan[#plan + 1] = { cookie = cookie, path = path }
    end
  end
  file:close()
  local think = os.getenv("UUTU_WRK_THINK") or ""
  local a, b = think:match("^(%d+),(%d+)$")
  if a then
    think_min, think_max = tonumber(a), tonumber(b)
  end
  max_requests = tonumber(os.getenv("UUTU_WRK_MAX") or "0") or 0
end

function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  load_plan()
  math.randomseed(os.time() + (id or 0) * 7919)
  counter = math.random(1, #plan)
end

function request()
  counter = counter % #plan + 1
  local item = plan[counter]
  return wrk.format("GET", item.path, {
    ["Cookie"] = "sessionid=" .. item.cookie,
    ["Accept-Language"] = "vi",
  })
end

function delay()
  return math.random(think_min, think_max)
end

function response(status, headers, body)
  sent = sent + 1
  if max_requests > 0 and sent >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local function ms(us)
    return us / 1000.0
  end
  io.write(string.format(
    'UUTU_WRK_JSON {"requests": %d, "duration_s": %.3f, "bytes": %d, '
      .. '"errors_connect": %d, "errors_read": %d, "errors_write": %d, '
      .. '"errors_status": %d, "errors_timeout": %d, '
      .. '"p50_ms": %.1f, "p90_ms": %.1f, "p95_ms": %.1f, "p99_ms": %.1f, '
      .. '"max_ms": %.1f, "mean_ms": %.1f}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(95)),
    ms(latency:percentile(99)), ms(latency.max), ms(latency.mean)))
end
