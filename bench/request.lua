-- One wrk script for both servers (MCIAS and the bare Bun.serve baseline), so the client
-- does identical work on each side. Method, body and bearer token come from the
-- environment; no response() hook (it would cost the client more than the server).
wrk.method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local fwd = os.getenv("WRK_FWD_HOST")
if fwd and fwd ~= "" then
  wrk.headers["X-Forwarded-Proto"] = "https"
  wrk.headers["X-Forwarded-Host"] = fwd
  wrk.headers["X-Forwarded-Uri"] = "/"
  wrk.headers["X-Forwarded-Method"] = "GET"
end
