-- A witness's add-checkpoint, the same body every time (bench/witness_bench.py writes it to
-- BODY_FILE): "old N", no proof, the checkpoint of size N the witness holds. The spec lets
-- a log send its checkpoint again, and the witness cosigns it again, each time in its own
-- durable compare-and-set (witness/state.h): so every 200 is one fsync'd commit.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.path = "/add-checkpoint"
wrk.body = f:read("*a")
f:close()
