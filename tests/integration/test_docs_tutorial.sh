#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# it_docs_tutorial: runs docs/tutorial.md as written.
#
# Every ```sh block of the tutorial is concatenated, in order, into one
# script and run with `set -e`, so a command that fails (or whose syntax
# drifted from the tools) fails this test.  A block preceded by the line
#   <!-- not run by it_docs_tutorial: REASON -->
# is left out (it needs hardware, a long run, or is tested elsewhere; the
# reason says which).  Two substitutions only: $PWD/build/ becomes the build
# under test, and the tutorial's work directory a private one.  Afterwards
# the outputs the tutorial promises are checked.
#   test_docs_tutorial.sh BUILD_DIR
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmm_lib.sh"
BUILD=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DOC=$TOP/docs/tutorial.md

it_require_root
it_require_hugepages
[ -r /dev/kvm ] || it_skip "no /dev/kvm (the tutorial starts rsw-vmm guests)"
it_require_cmd tshark tshark

W=$IT_WORK/tut
SCRIPT=$IT_WORK/tutorial.sh

# Extract the blocks (awk: state machine over the markdown).
{
    echo 'set -euo pipefail'
    echo 'shopt -s expand_aliases'
    echo 'trap '\''kill $(jobs -p) 2>/dev/null || true'\'' EXIT'
    echo "cd '$TOP'"
    awk '
        /^<!-- not run by it_docs_tutorial:/ { skip = 1; next }
        /^```sh$/ { inblock = 1; if (skip) drop = 1; skip = 0; next }
        /^```$/   { inblock = 0; drop = 0; next }
        inblock && !drop { print; next }
        !inblock && NF { skip = skip && /^<!--/ }
    ' "$DOC"
} | sed -e "s|\$PWD/build/|$BUILD/|g" -e "s|^W=/tmp/rsw-tutorial;|W=$W;|" > "$SCRIPT"

grep -q "W=$W" "$SCRIPT" || it_fail "the tutorial no longer sets W=/tmp/rsw-tutorial"
it_log "running $(grep -c . "$SCRIPT") lines of docs/tutorial.md"

# The switch the tutorial starts detaches; its DPDK prefix derives from the
# control socket path (FNV-1a, utilities/switchd.c), so cleanup can find it.
fnv_prefix() {
    local s=$1 h=2166136261 i c
    for ((i = 0; i < ${#s}; i++)); do
        printf -v c '%d' "'${s:i:1}"
        h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
    done
    printf 'rsw%08x' "$h"
}
IT_PREFIXES+=("$(fnv_prefix "$W/sw.ctl")")
stop_tutorial_switch() {
    local pid
    for pid in $(pgrep -f "rsw-switchd --db $W/conf.db"); do
        it_stop "$pid"
    done
}
trap 'stop_tutorial_switch; it_cleanup' EXIT

timeout 240 bash "$SCRIPT" > "$IT_WORK/tutorial.log" 2>&1
rc=$?
cat "$IT_WORK/tutorial.log" | tail -n 60
[ $rc -eq 0 ] || it_fail "the tutorial's commands failed (exit $rc); see the output above"

# What the tutorial says the reader will see.
r=$(vmm_result "$W/vm1.serial")
[ -n "$r" ] || it_fail "no RESULT line in vm1.serial"
[ "$(vmm_field "$r" ok)" = 1000 ] || it_fail "pingpong: $r"
grep -q "br0" "$IT_WORK/tutorial.log" || it_fail "vsctl show printed no br0"
it_log "tutorial ran as written: $r"
exit 0
