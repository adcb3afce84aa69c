-- The RESULT line shared by the wrk scripts (post.lua, ocsp.lua): loaded with dofile, it defines
-- wrk's done() hook, which sums the per-thread counters (non2xx, bad_body, statuses, first_error)
-- that each script's response() keeps (the threads come from the global `threads` that each
-- script's setup() fills), and prints one line parsed by the bench/*.sh drivers.
function done(summary, latency, requests)
  local n2, bb, st, fe = 0, 0, {}, nil
  for _, t in ipairs(threads) do
    n2 = n2 + (t:get("non2xx") or 0)
    bb = bb + (t:get("bad_body") or 0)
    local s = t:get("statuses")
    if s then for k, v in pairs(s) do st[k] = (st[k] or 0) + v end end
    fe = fe or t:get("first_error")
  end
  local parts = {}
  for k, v in pairs(st) do table.insert(parts, tostring(k) .. ":" .. tostring(v)) end
  table.sort(parts)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d bad_body=%d " ..
    "sock_connect=%d sock_read=%d sock_write=%d sock_timeout=%d statuses=%s\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, n2, bb,
    e.connect, e.read, e.write, e.timeout, (#parts > 0) and table.concat(parts, ",") or "none"))
  if fe then io.write("FIRST_ERROR " .. string.gsub(fe, "\n", " ") .. "\n") end
end
