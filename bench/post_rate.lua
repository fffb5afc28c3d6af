-- bench/post.lua held to a rate: each connection waits POST_DELAY_MS between its requests,
-- so that C connections send about C * 1000 / (POST_DELAY_MS + latency) submissions/s
-- (bench/witness_bench.py computes the delay from the rate it asks for).
dofile(os.getenv("BENCH_DIR") .. "/post.lua")

local wait = tonumber(os.getenv("POST_DELAY_MS") or "0")

function delay()
  return wait
end
