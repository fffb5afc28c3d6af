-- Shared by bench/*.lua: prints one machine-readable line after a wrk run.
-- Latencies are in microseconds; `ok` counts 2xx/3xx answers only.
function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  local ok = summary.requests - e.status
  io.write(string.format(
    "BENCH requests=%d ok=%d non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d "
      .. "seconds=%.3f rps=%.1f ok_rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, ok, e.status, e.connect, e.read, e.write, e.timeout, secs,
    summary.requests / secs, ok / secs, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
