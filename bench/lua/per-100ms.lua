-- wrk script: counts responses per 100 ms of wall-clock time (CLOCK_REALTIME, the clock of
-- `date +%s.%N`), split into 2xx and the rest, and prints them after the run as
-- "<epoch seconds of the bucket> <2xx> <other>" lines between BUCKETS and END.
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } timespec;
  int clock_gettime(int clk_id, timespec *tp);
]]
local now = ffi.new("timespec")

local function bucket()
  ffi.C.clock_gettime(0, now)
  return tonumber(now.tv_sec) * 10 + math.floor(tonumber(now.tv_nsec) / 100000000)
end

ok = {}
other = {}

function response(status, headers, body)
  local b = bucket()
  if status >= 200 and status < 300 then
    ok[b] = (ok[b] or 0) + 1
  else
    other[b] = (other[b] or 0) + 1
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local all_ok, all_other, first, last = {}, {}, nil, nil
  for _, thread in ipairs(threads) do
    for b, n in pairs(thread:get("ok")) do
      all_ok[b] = (all_ok[b] or 0) + n
      first = (first == nil or b < first) and b or first
      last = (last == nil or b > last) and b or last
    end
    for b, n in pairs(thread:get("other")) do
      all_other[b] = (all_other[b] or 0) + n
    end
  end
  io.write("BUCKETS\n")
  if first then
    for b = first, last do
      io.write(string.format("%.1f %d %d\n", b / 10, all_ok[b] or 0, all_other[b] or 0))
    end
  end
  io.write("END\n")
end
