-- wrk script: POST one fixed DER OCSP request, check every answer, print one RESULT line.
--
-- Environment:
--   WRK_BODY      file holding the DER OCSPRequest (required)
--   WRK_NOPROBE   "1": skip wrk's start-up probe connection (connect + close without a request),
--                 which makes `openssl ocsp -port` spin at 100 % CPU forever (openssl#31129)
--
-- An answer counts as bad unless it is HTTP 200 with an OCSPResponse whose responseStatus is
-- successful (0): SEQUENCE, then ENUMERATED 0 right after the outer length.
-- The RESULT line has the fields of post.lua (parsed by bench/ocsp_vs_peers.sh):
--   RESULT requests=N duration_s=S rps=R p50_ms=A p99_ms=B non2xx=E bad_body=F
--          sock_connect=.. sock_read=.. sock_write=.. sock_timeout=.. statuses=CODE:COUNT,...

local body_file = os.getenv("WRK_BODY")
assert(body_file, "WRK_BODY must name the DER request file")
local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/ocsp-request"

if os.getenv("WRK_NOPROBE") == "1" then
  function wrk.resolve(host, service)
    wrk.addrs = wrk.lookup(host, service)
  end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  non2xx = 0
  bad_body = 0
  statuses = {}
  first_error = nil
end

-- responseStatus of a DER OCSPResponse, or nil when it does not look like one.
local function ocsp_status(b)
  if b == nil or #b < 5 or string.byte(b, 1) ~= 0x30 then return nil end
  local l = string.byte(b, 2)
  local pos = 3
  if l >= 0x80 then pos = 3 + (l - 0x80) end
  if string.byte(b, pos) ~= 0x0A or string.byte(b, pos + 1) ~= 0x01 then return nil end
  return string.byte(b, pos + 2)
end

function response(status, headers, resp_body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 200 then
    non2xx = non2xx + 1
    if first_error == nil then first_error = "HTTP " .. tostring(status) end
  elseif ocsp_status(resp_body) ~= 0 then
    bad_body = bad_body + 1
    if first_error == nil then first_error = "OCSP status " .. tostring(ocsp_status(resp_body)) end
  end
end

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
  if fe then io.write("FIRST_ERROR " .. fe .. "\n") end
end
