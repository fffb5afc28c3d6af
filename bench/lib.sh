# Shell helpers shared by the benchmark scripts (sourced, not run).

# wait_healthz PORT PID LOG [NAME]: waits up to 30 s until the server PID answers /healthz
# on 127.0.0.1:PORT; exits the script with the server's LOG when it died or never answered.
wait_healthz() {
  local port=$1 pid=$2 log=$3 name=${4:-tuidang}
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "$name exited:"; cat "$log"; exit 1; } >&2
    sleep 0.1
  done
  echo "$name did not answer /healthz on port $port" >&2
  exit 1
}
