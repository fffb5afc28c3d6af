-- GET /api/v1/receipts/<code> for codes picked at random from the file named by $RECEIPTS
-- (one code a line), so that the look-ups spread over the whole log (closed level-0 tiles
-- as well as the open one); report as in report.lua.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
local paths = {}
for code in io.lines(os.getenv("RECEIPTS")) do
  paths[#paths + 1] = "/api/v1/receipts/" .. code
end
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init()
  math.randomseed(os.time() * 100 + (id or 0))
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
