-- wrk script for bench/indexer_api.py: each connection is a user who reads a page, then thinks.
-- TUTTI_PATHS: the pages (one per line); TUTTI_THINK_MS: mean think time (0: a flood).
-- Like a browser, each thread remembers the ETag of every page it has read and revalidates with
-- If-None-Match (a 304 carries no body).

local paths = {}
for line in (os.getenv("TUTTI_PATHS") or "/works"):gmatch("[^\n]+") do paths[#paths + 1] = line end
local think = tonumber(os.getenv("TUTTI_THINK_MS") or "0")
local etags = {}
local last = nil
local not_modified = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
end

function delay()
  if think == 0 then return 0 end
  return math.random(0, 2 * think)  -- uniform: think on average
end

function request()
  last = paths[math.random(#paths)]
  local headers = {}
  if etags[last] then headers["If-None-Match"] = etags[last] end
  return wrk.format("GET", last, headers)
end

function response(status, headers, body)
  if status == 304 then not_modified = not_modified + 1 end
  if headers["ETag"] or headers["etag"] then etags[last] = headers["ETag"] or headers["etag"] end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("not_modified") or 0) end
  io.write(string.format("not modified: %d\n", total))
end
