-- wrk script for bench/webhooks.py: replays pre-signed Shopify deliveries, each once.
--
--   wrk -t2 -c16 -d10s -s bench/webhooks.lua http://127.0.0.1:PORT -- PREFIX
--
-- bench/webhooks.py writes PREFIX.0, PREFIX.1, ... (one file per wrk thread).
-- Each file holds complete raw HTTP requests (headers with the HMAC, then the
-- body), each record as "<byte length>\n<bytes>". Lua has no HMAC, so the
-- signing happens beforehand in Python; a thread only hands out the next
-- string, which keeps wrk's CPU use per request small.
--
-- A thread that runs out of requests starts again from its first one: such
-- repeats would hit the service's cheaper "duplicate" path, so done() reports
-- "exhausted" and bench/webhooks.py refuses the run.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

requests = {}
available = 0
used = 0

function init(args)
   local path = args[1] .. "." .. tid
   local f = assert(io.open(path, "rb"))
   while true do
      local header = f:read("*l")
      if header == nil or header == "" then break end
      local len = tonumber(header)
      local data = f:read(len)
      assert(data ~= nil and #data == len, "truncated request file " .. path)
      available = available + 1
      requests[available] = data
   end
   f:close()
   assert(available > 0, "no requests in " .. path)
end

function request()
   used = used + 1
   local i = used
   if i > available then
      i = (i - 1) % available + 1
   end
   return requests[i]
end

function done(summary, latency, requests)
   local used_total, available_total, exhausted = 0, 0, 0
   for _, thread in ipairs(threads) do
      local u, a = thread:get("used"), thread:get("available")
      used_total = used_total + u
      available_total = available_total + a
      if u > a then exhausted = exhausted + 1 end
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f"
      .. " mean_us=%.0f connect_errors=%d read_errors=%d write_errors=%d status_errors=%d"
      .. " timeouts=%d used=%d available=%d exhausted_threads=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
      e.timeout, used_total, available_total, exhausted))
end
