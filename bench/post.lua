-- Durable submissions: POST /api/v1/statements with a small JSON statement (one declarant
-- and one further person), the same body on every request.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.path = "/api/v1/statements"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"压测王小明","organisations":["party","league"],"region":"undisclosed",'
  .. '"occupation":"other","text":"我声明退出中共及其相关组织。",'
  .. '"persons":[{"name":"压测李华","organisations":["league"]}],"language":"zh-hans"}'
