#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# it_quickstart: the README's main-job command, run as a newcomer would
# (utilities/quickstart), for a short --duration: it must exit 0, show
# frames flowing both ways with no drops, and leave no process behind.
set -u
source "$(dirname "$0")/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
it_require_root
it_require_hugepages
[ -r /dev/kvm ] || it_skip "no /dev/kvm (the quickstart boots two VMs)"

out=$IT_WORK/quickstart.log
timeout 600 "$TOP/utilities/quickstart" --duration 10 > "$out" 2>&1
rc=$?
tr '\r' '\n' < "$out" | tail -n 25
[ $rc -eq 0 ] || it_fail "utilities/quickstart exited $rc"
line=$(grep -a "switch: vm1 sent" "$out") || it_fail "no traffic summary"
read -r sent recv <<< "$(echo "$line" | sed -n 's/.*vm1 sent \([0-9]*\) and received \([0-9]*\) frames.*/\1 \2/p')"
[ "${sent:-0}" -gt 100 ] && [ "${recv:-0}" -gt 100 ] || it_fail "too little traffic: $line"
echo "$line" | grep -q ", 0 dropped" || it_fail "drops: $line"
sleep 1
pgrep -f "rsw-quickstart\." >/dev/null && it_fail "quickstart left processes: $(pgrep -af rsw-quickstart.)"
it_log "quickstart OK: $line"
exit 0
