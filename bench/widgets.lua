-- wrk script for bench/widgets.py: signed widget summary reads, one customer after another.
--
--   wrk -t2 -c8 -d10s -s bench/widgets.lua http://127.0.0.1:PORT -- PREFIX
--
-- bench/widgets.py writes PREFIX.0, PREFIX.1, ... (one file per wrk thread), each
-- record "<byte length>\n<raw HTTP request>", every request signed for its customer
-- beforehand (Lua has no HMAC). Reads change nothing, so a thread that reaches the
-- end of its file starts again from the first request.

local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
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
   return requests[(used - 1) % available + 1]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f"
      .. " mean_us=%.0f connect_errors=%d read_errors=%d write_errors=%d status_errors=%d"
      .. " timeouts=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
      e.timeout))
end
