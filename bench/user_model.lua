-- wrk script for bench/indexer_api.py: each connection is a user who reads a page, then thinks.
-- TUTTI_PATHS: the pages, one per line, each "path<TAB>etag" (the ETag the bench read at the start);
-- TUTTI_THINK_MS: mean think time (0: a flood). Half the requests come from returning users whose
-- browser revalidates the page it saw at the start with If-None-Match (a 304 when it has not
-- changed since: no body); the others read it afresh.

local pages = {}
for line in (os.getenv("TUTTI_PATHS") or "/works\t"):gmatch("[^\n]+") do
  local path, etag = line:match("^([^\t]+)\t?(.*)$")
  pages[#pages + 1] = { path = path, etag = etag }
end
local think = tonumber(os.getenv("TUTTI_THINK_MS") or "0")
not_modified = 0  -- a global: done() reads it from each thread with thread:get
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
  local page = pages[math.random(#pages)]
  local headers = {}
  if page.etag ~= "" and math.random() < 0.5 then headers["If-None-Match"] = page.etag end
  return wrk.format("GET", page.path, headers)
end

function response(status, headers, body)
  if status == 304 then not_modified = not_modified + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("not_modified") or 0) end
  io.write(string.format("not modified: %d\n", total))
end
