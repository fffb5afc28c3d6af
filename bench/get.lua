-- GET the URL given on wrk's command line; report as in report.lua.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
