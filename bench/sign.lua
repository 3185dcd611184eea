-- POST the signing form, each request with a new address:
--   <tag>-t<thread>-<n>@example.org   (tag is the first script argument)
-- The second argument is the form's start stamp, URL-encoded (bench/seed.py).
-- Counts responses by status; a signature is acknowledged by a 302.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local tag = "bench"
local stamp = ""
local n = 0
counted = 0
statuses = {}

function init(args)
  tag = args[1] or tag
  stamp = args[2] or stamp
end

function request()
  n = n + 1
  local body = string.format(
    "first_name=Ada&last_name=Lovelace&email=%s-t%d-%d%%40example.org"
      .. "&country=KH&source=bench&started=%s",
    tag, id, n, stamp
  )
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  counted = counted + 1
  statuses[status] = (statuses[status] or 0) + 1
end
