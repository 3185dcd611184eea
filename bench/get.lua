-- GET one URL as fast as wrk can (a static request: no per-request Lua).
-- bench/run.py checks the status and content of each URL before the load.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
