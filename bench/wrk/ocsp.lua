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

threads = {}  -- global: read by done() in summary.lua
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

-- done(): the shared RESULT line (summary.lua, next to this script).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "summary.lua")
