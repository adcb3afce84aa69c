-- wrk script: POST one fixed body, count every non-2xx response, print one RESULT line.
--
-- Environment:
--   WRK_BODY    file whose contents are the request body (required)
--   WRK_CT      Content-Type (default application/json)
--   WRK_AUTH    value of the Authorization header (optional, e.g. "Bearer <token>")
--   WRK_EXPECT  plain substring every 2xx body must contain (optional); a 2xx without it counts as bad
--
-- The RESULT line (parsed by bench/rest_vs_cfssl.sh):
--   RESULT requests=N duration_s=S rps=R p50_ms=A p99_ms=B non2xx=E bad_body=F
--          sock_connect=.. sock_read=.. sock_write=.. sock_timeout=.. statuses=CODE:COUNT,...
-- A run with non2xx, bad_body or socket errors > 0 is a failed run, not a throughput figure.

local body_file = os.getenv("WRK_BODY")
assert(body_file, "WRK_BODY must name the request body file")
local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = os.getenv("WRK_CT") or "application/json"
local auth = os.getenv("WRK_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
local expect = os.getenv("WRK_EXPECT")
if expect == "" then expect = nil end

-- per-thread state lives in each thread's own Lua state; setup() keeps the thread handles
threads = {}  -- global: read by done() in summary.lua
function setup(thread) table.insert(threads, thread) end

function init(args)
  non2xx = 0
  bad_body = 0
  statuses = {}
  first_error = nil
end

function response(status, headers, resp_body)
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_error == nil then first_error = tostring(status) .. " " .. string.sub(resp_body or "", 1, 300) end
  elseif expect and not string.find(resp_body or "", expect, 1, true) then
    bad_body = bad_body + 1
    if first_error == nil then first_error = tostring(status) .. " (missing expected text) " .. string.sub(resp_body or "", 1, 300) end
  end
end

-- done(): the shared RESULT line (summary.lua, next to this script).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "summary.lua")
