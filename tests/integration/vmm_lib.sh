# SPDX-License-Identifier: Apache-2.0
# Helpers for the rsw-vmm integration tests (sourced after lib.sh).

# vmm_api SOCK COMMAND: one request on the --api socket; prints the reply.
vmm_api() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall((json.dumps({"command": sys.argv[2]}) + "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
print(buf.decode().strip())
PY
}

# vmm_json JSON PATH: a field of a JSON reply (PATH like net.link_up).
vmm_json() {
    /usr/bin/python3 -c '
import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v[k]
print(json.dumps(v))' "$1" "$2"
}

# vmm_result FILE: the guest's RESULT line ("" if none).
vmm_result() { grep -a '^RESULT ' "$1" 2>/dev/null | tail -n 1; }

# vmm_field LINE KEY: value of KEY=value in a RESULT line.
vmm_field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# vmm_wait_exit PID TIMEOUT_S: waits for rsw-vmm to end; its exit code is
# in VMM_RC (124 on timeout, then the process is stopped).
vmm_wait_exit() {
    local pid=$1 t=$2 i
    for i in $(seq 1 $((t * 10))); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            VMM_RC=$?
            return 0
        fi
        sleep 0.1
    done
    it_stop "$pid"
    VMM_RC=124
}

# vmm_speed VMM: the guest's instructions per microsecond here (speed test
# guest timing a 2-instruction loop with rdtsc); prints e.g. "0.42".
vmm_speed() {
    local line
    line=$("$1" --test-guest speed:200000 --mem 16M 2>/dev/null | grep '^RESULT')
    awk -v i="$(vmm_field "$line" instructions)" -v u="$(vmm_field "$line" usec)" \
        'BEGIN { if (u > 0) printf "%.3f\n", i / u; else print "0" }'
}

# Near-native guest speed, in vmm_speed's instructions per microsecond.
# With hardware virtualization the speed guest's 2-instruction loop runs at
# ~1000-6000 instructions/us (1-2 per cycle at 2-4 GHz); the nested,
# software-assisted KVM of the CI machines gives ~1 (DESIGN.md §4).  A
# Linux boot to an initramfs shell plus a ping is of the order of 10^9
# guest instructions: at >= 100 instructions/us that is at most ~10-20 s,
# within a test's time; below, the tests that need it report SKIP.  The
# same threshold decides Linux guests in utilities/quickstart.
VMM_NATIVE_SPEED=${VMM_NATIVE_SPEED:-100}   # env: override (e.g. to try the full path)

# vmm_speed_is_native SPEED: true if SPEED >= VMM_NATIVE_SPEED.
vmm_speed_is_native() {
    awk -v s="$1" -v t="$VMM_NATIVE_SPEED" 'BEGIN { exit !(s + 0 >= t + 0) }'
}
