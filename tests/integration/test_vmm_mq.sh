#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rsw-vmm multiqueue virtio-net (--net ...,queues=2) against DPDK's
# vhost-user backend (testpmd net_vhost queues=2, --rxq=2 --txq=2, io
# forwarding in a loop on its one port: queue q comes back on queue q).
#
#   1. pingpong:N with queues=2: the test guest does not negotiate MQ and
#      runs on pair 1 (queues 0/1) as before.
#   2. mq-pingpong:N with queues=2: the guest negotiates VIRTIO_NET_F_MQ +
#      CTRL_VQ, sends VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 2 on the control
#      queue (served by rsw-vmm, which enables vrings 2 and 3 at testpmd)
#      and pingpongs on pair 2.
#   testpmd's per-stream counts then must be exactly N on queue 0 and N on
#   queue 1; rsw-vmm's stats show 1 control command and 2 active pairs.
#   3. Bad input: queues=0/8/x refused with a one-line error; mq-pingpong
#      on a single-pair device fails cleanly in the guest.  (DPDK's vhost
#      library answers GET_QUEUE_NUM with its own maximum, not the port's
#      queues, so "more pairs than the backend serves" is not testable
#      against it.)
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmm_lib.sh"
vmm=$1 n=${2:-100}
it_require_root
it_require_cmd dpdk-testpmd dpdk
[ -c /dev/kvm ] || it_skip "no /dev/kvm"

# ---- Bad input (no backend needed) ----------------------------------------
for bad in 0 8 x; do
    out=$("$vmm" --test-guest hello --mem 16M \
        --net "vhost-user,path=$IT_WORK/none.sock,queues=$bad" 2>&1)
    rc=$?
    it_log "queues=$bad: exit $rc: $out"
    [ $rc = 1 ] || it_fail "queues=$bad: exit $rc"
    echo "$out" | grep -q "queues must be 1..7 (queue pairs), got '$bad'" ||
        it_fail "queues=$bad: no clear error"
done

prefix=$(it_prefix vmm)
IT_PREFIXES+=("$prefix")   # it_prefix ran in a subshell: register here
sa=$IT_WORK/a.sock
it_start testpmd dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --no-huge -m 512 \
    --file-prefix="$prefix" --vdev "net_vhost0,iface=$sa,queues=2" -- \
    --total-num-mbufs=16384 --forward-mode=io --port-topology=loop \
    --nb-cores=1 --rxq=2 --txq=2 --stats-period 1
tp_pid=$IT_LAST_PID
it_wait_for "[ -S $sa ]" 30 "testpmd's vhost-user socket"

# run_vm NAME MODE QUEUES [args]: runs rsw-vmm to its end; RESULT line in
# VM_RESULT, exit code in VMM_RC.
run_vm() {
    local name=$1 gmode=$2 queues=$3
    shift 3
    it_start "$name" "$vmm" --test-guest "$gmode" --mem 32M \
        --net "vhost-user,path=$sa,queues=$queues" \
        --serial "file:$IT_WORK/$name.serial" --connect-timeout 30 -v "$@"
    vmm_wait_exit "$IT_LAST_PID" 120
    VM_RESULT=$(vmm_result "$IT_WORK/$name.serial")
    it_log "$name ($gmode, queues=$queues): exit $VMM_RC: $VM_RESULT"
}

# net_stat NAME FIELD: a field of the net stats rsw-vmm -v prints at exit.
net_stat() {
    sed -n 's/^rsw-vmm: net //p' "$IT_WORK/$1.log" |
        python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}

run_vm pair1 "pingpong:$n" 2
[ "$VMM_RC" = 0 ] && [ "$(vmm_field "$VM_RESULT" ok)" = "$n" ] ||
    it_fail "pingpong on pair 1 with queues=2: $VM_RESULT"
[ "$(net_stat pair1 queue_pairs)" = 2 ] || it_fail "queue_pairs != 2"
[ "$(net_stat pair1 active_pairs)" = 1 ] || it_fail "more than pair 1 active"
[ "$(net_stat pair1 ctrl_commands)" = 0 ] || it_fail "unexpected control commands"

run_vm pair2 "mq-pingpong:$n" 2
[ "$VMM_RC" = 0 ] && [ "$(vmm_field "$VM_RESULT" ok)" = "$n" ] ||
    it_fail "pingpong on pair 2: $VM_RESULT"
for f in "active_pairs 2" "ctrl_commands 1" "ctrl_refused 0" "ctrl_bad_chains 0"; do
    set -- $f
    [ "$(net_stat pair2 "$1")" = "$2" ] || it_fail "pair2: $1 = $(net_stat pair2 "$1"), want $2"
done

# The guest asks for two pairs of a device that has one: it says so.
run_vm single "mq-pingpong:$n" 1
[ "$VMM_RC" != 0 ] && echo "$VM_RESULT" | grep -q "reason=no_multiqueue" ||
    it_fail "mq-pingpong on a 1-pair device: exit $VMM_RC, $VM_RESULT"

it_stop "$tp_pid"
log=$IT_WORK/testpmd.log
grep -A1 "Forward Stats for" "$log"
stream_rx() { # QUEUE: RX-packets of testpmd's per-stream block for port 0
    awk -v q="$1" '
        /Forward Stats for RX Port= 0\/Queue=/ { inblk = ($0 ~ ("Queue= *" q " ")); next }
        inblk && /RX-packets:/ { print $2; inblk = 0 }' "$log"
}
q0=$(stream_rx 0) q1=$(stream_rx 1)
it_log "testpmd: queue 0 RX=$q0, queue 1 RX=$q1 (want $n each)"
[ "$q0" = "$n" ] || it_fail "queue 0 RX=$q0, want $n"
[ "$q1" = "$n" ] || it_fail "queue 1 RX=$q1, want $n"
echo "PASS: rsw-vmm multiqueue"
