#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# it_vmm_linux_ping: two rsw-vmm Linux guests ping each other through
# rsw-switchd.  The guests are the Debian cloud kernel (bzImage) and the
# busybox initramfs of utilities/rsw-guest-image, whose /init loads the
# virtio-net modules (or finds them built in), configures eth0 from rsw.ip=
# and pings from rsw.ping=; the same images the QEMU tests use.  Bridge br0
# (default NORMAL rule), two vhostuser ports (the switch listens, rsw-vmm
# connects).  As in utilities/quickstart's Linux path: no IPv6, and B is up
# before A boots, so nothing is flooded toward a port without its VM.
# Each guest pings the other PINGS times and must get every reply, then
# powers off by itself (ACPI S5: rsw-vmm exit 0); the switch must count the
# traffic both ways, drop nothing and have learned both MACs.
#
# Only where the host's KVM runs guests at near-native speed: the guest
# speed is measured first (vmm_speed; threshold VMM_NATIVE_SPEED in
# vmm_lib.sh, 100 instructions/us).  Below it (the CI machines' nested KVM,
# DESIGN.md §4) the test reports SKIP with the measured figure and the
# threshold -- after exercising everything up to the boot itself: the
# images (virtio_pci/virtio_net in the initramfs or built into the
# kernel), the switch and its ports, and rsw-vmm loading the bzImage, the
# initramfs and the command line and connecting to the switch (stopped
# through its API).
#   test_vmm_linux_ping.sh RSW_VMM SWITCHD_BINDIR CACHE [PINGS]
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmm_lib.sh"
vmm=$1 bindir=$2 cache=$3 pings=${4:-10}
guest_image=$(cd "$(dirname "$0")/../../utilities" && pwd)/rsw-guest-image
it_require_root
it_require_hugepages
it_require_cmd python3 python3
it_require_cmd cpio cpio
[ -c /dev/kvm ] || it_skip "no /dev/kvm"
t0=$(date +%s.%N)
elapsed() { awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
# Measured first, decided in step 3.
speed=$(vmm_speed "$vmm")
[ "$speed" != 0 ] || it_fail "the speed test guest gave no result ($vmm --test-guest speed:200000)"
it_log "guest speed $speed instructions/us (near-native threshold $VMM_NATIVE_SPEED)"

# 1. The images (kernel via apt, cached in CACHE with the other Linux
# tests'); SKIP only if apt cannot get the kernel.
images=$(bash "$guest_image" --no-install "$cache" 2>"$IT_WORK/guest-image.log")
case $? in
    0) eval "$images" ;;
    3) it_skip "$(tail -n 1 "$IT_WORK/guest-image.log")" ;;
    *) it_fail "rsw-guest-image: $(tail -n 3 "$IT_WORK/guest-image.log")" ;;
esac
# The guest's virtio-net driver stack: modules in the initramfs (loaded by
# /init in the order of lib/modules/order) or built into the kernel.
kver=${RSW_GUEST_KERNEL##*/vmlinuz-}
builtin=$(dirname "$RSW_GUEST_KERNEL")/../lib/modules/$kver/modules.builtin
gzip -dc "$RSW_GUEST_INITRD" | cpio -it --quiet > "$IT_WORK/initrd.list" 2>/dev/null ||
    it_fail "cannot list $RSW_GUEST_INITRD"
for m in virtio_pci virtio_net; do
    grep -Eqx "(\./)?lib/modules/$m\.ko" "$IT_WORK/initrd.list" ||
        grep -q "/$m\.ko\$" "$builtin" 2>/dev/null ||
        it_fail "the guest has no $m driver (neither in $RSW_GUEST_INITRD nor built in)"
done
it_log "images after $(elapsed)s: $RSW_GUEST_KERNEL, $RSW_GUEST_INITRD ($(grep -c '\.ko$' "$IT_WORK/initrd.list") modules)"

# 2. The switch: one PMD on core 1, br0 with NORMAL, a vhostuser port per guest.
ctl=$IT_WORK/ctl
vsctl() { "$bindir/rsw-vsctl" --ctl "$ctl" "$@"; }
ofctl() { "$bindir/rsw-ofctl" --ctl "$ctl" "$@"; }
appctl() { "$bindir/rsw-appctl" --ctl "$ctl" "$@"; }
port_stat() { # PORT FIELD
    ofctl --format json dump-ports br0 "$1" |
        python3 -c "import json,sys; print(json.load(sys.stdin)[0]['$2'])"
}
prefix=$(it_prefix sw)
IT_PREFIXES+=("$prefix")   # it_prefix ran in a subshell: register here
it_start switchd "$bindir/rsw-switchd" --ctl "$ctl" --db "$IT_WORK/conf.db" --pmd-cores 1 \
    --eal "--file-prefix=$prefix" --log-file "$IT_WORK/switchd-file.log"
switch_pid=$IT_LAST_PID
it_wait_for "[ -S $ctl ]" 20 "the switch's control socket"
vsctl add-br br0 || it_fail "add-br"
for g in a b; do
    vsctl add-port br0 "vm$g" -- set Interface "vm$g" type=vhostuser \
        options:path="$IT_WORK/$g.sock" || it_fail "add-port vm$g"
done
ofctl dump-flows br0 | grep -q "actions=NORMAL" || it_fail "no default NORMAL rule"
it_wait_for "[ -S $IT_WORK/a.sock ] && [ -S $IT_WORK/b.sock ]" 10 "the switch's sockets"

# start_guest NAME MAC IP PEER [rsw-vmm options]: a Linux guest on port vmNAME
# that pings PEER PINGS times (0.2 s apart) once it answers, then keeps
# answering for 10 s (the peer may still be pinging) and powers off.
start_guest() {
    local name=$1 mac=$2 ip=$3 peer=$4
    shift 4
    it_start "vmm-$name" "$vmm" --kernel "$RSW_GUEST_KERNEL" --initrd "$RSW_GUEST_INITRD" \
        --cmdline "$RSW_GUEST_CMDLINE earlyprintk=serial reboot=k ipv6.disable=1 rsw.ip=$ip rsw.ping=$peer:$pings:0.2 rsw.wait=10" \
        --mem 256M --cpus 1 --net "vhost-user,path=$IT_WORK/$name.sock,mac=$mac" \
        --serial "file:$IT_WORK/serial-$name.log" --connect-timeout 30 -v "$@"
    GUEST_PID=$IT_LAST_PID
}

# 3. The guest speed decides.

# setup_check: below the threshold, rsw-vmm still loads the bzImage, the
# initramfs and the command line (boot protocol placement checks) and
# connects to the switch; then it is stopped through its API.  On this
# nested KVM the bzImage's decompressor may stop first with a KVM internal
# error (exit 4, DESIGN.md §4, as in it_vmm_linux_banner): accepted.
setup_check() {
    local api=$IT_WORK/a.api st=""
    start_guest a 02:00:00:00:00:0a 10.0.0.1/24 10.0.0.2 --api "$api"
    local pid=$GUEST_PID
    for _ in $(seq 1 200); do
        [ -S "$api" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -S "$api" ] && st=$(vmm_api "$api" status 2>/dev/null)
    if [ -n "$st" ]; then
        [ "$(vmm_json "$st" net.connects)" -ge 1 ] ||
            it_fail "rsw-vmm did not connect to the switch: $st"
        vmm_api "$api" shutdown > /dev/null 2>&1
    fi
    vmm_wait_exit "$pid" 20
    case $VMM_RC in
        0) [ -n "$st" ] || it_fail "rsw-vmm exited 0 before its API answered: $(tail -n 2 "$IT_WORK/vmm-a.log")" ;;
        4) ;;
        *) it_fail "rsw-vmm with the Linux images exited $VMM_RC: $(tail -n 2 "$IT_WORK/vmm-a.log")" ;;
    esac
    it_log "rsw-vmm loaded bzImage + initramfs${st:+, connected to the switch (net.connects=$(vmm_json "$st" net.connects))}, exit $VMM_RC"
}
if ! vmm_speed_is_native "$speed"; then
    setup_check
    est=$(awk -v s="$speed" 'BEGIN { printf "%.0f", 1e9 / s / 60e6 }')
    it_skip "guest speed $speed instructions/us < $VMM_NATIVE_SPEED (near-native threshold): booting Linux to a shell would take ~$est min of guest time here; checked up to the boot: images with virtio_net, switch ports, rsw-vmm loading bzImage + initramfs and connecting"
fi

# 4. Two guests ping each other.
boot_t0=$(date +%s.%N)
start_guest b 02:00:00:00:00:0b 10.0.0.2/24 10.0.0.1
b_pid=$GUEST_PID a_pid=""

diag() {
    echo "----- switch"
    vsctl show
    ofctl dump-ports br0
    appctl fdb-show br0
} 2>&1
# wait_serial NAME PATTERN TIMEOUT WHAT: fails early if the guest reported
# an error or rsw-vmm stopped.
wait_serial() {
    local f=$IT_WORK/serial-$1.log pid=$b_pid
    [ "$1" = a ] && pid=$a_pid
    for _ in $(seq 1 $(($3 * 10))); do
        grep -aq "$2" "$f" 2>/dev/null && return 0
        if grep -aq "RSW-ERROR" "$f" 2>/dev/null; then
            diag
            it_fail "guest $1: $(grep -a -m1 -o 'RSW-ERROR.*' "$f")"
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    grep -aq "$2" "$f" 2>/dev/null && return 0
    diag
    it_fail "guest $1: no '$2' ($4) within $3 s (rsw-vmm: $(tail -n 1 "$IT_WORK/vmm-$1.log"))"
}
serial_line() { grep -a -o "$2.*" "$IT_WORK/serial-$1.log" | tail -n 1 | tr -d '\r'; }

wait_serial b "RSW-READY" 120 "eth0 configured"
start_guest a 02:00:00:00:00:0a 10.0.0.1/24 10.0.0.2
a_pid=$GUEST_PID
wait_serial a "RSW-READY" 120 "eth0 configured"
it_log "guests ready after $(awk -v s="$boot_t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')s: $(serial_line a RSW-READY) | $(serial_line b RSW-READY)"
it_wait_for "vsctl show | grep -c 'connected, rings ready' | grep -qx 2" 20 "both ports' rings ready"
for g in a b; do wait_serial $g "RSW-PING " 90 "the result of ping -c $pings"; done
for g in a b; do
    r=$(serial_line $g "RSW-PING ")
    it_log "guest $g: $(serial_line $g RSW-PEER-UP); $r"
    [[ "$r" == "RSW-PING sent=$pings received=$pings "* ]] || { diag; it_fail "guest $g: expected $pings/$pings pings: $r"; }
done
# Requests and replies both ways crossed the switch.
for p in vma vmb; do
    rx=$(port_stat $p rx_packets) tx=$(port_stat $p tx_packets)
    drops=$(ofctl --format json dump-ports br0 "$p" |
        python3 -c "import json,sys; print(json.load(sys.stdin)[0]['drops'])")
    it_log "$p: rx_packets=$rx tx_packets=$tx drops=$drops"
    [ "$rx" -ge $((2 * pings)) ] && [ "$tx" -ge $((2 * pings)) ] ||
        it_fail "$p: expected >= $((2 * pings)) packets each way"
    python3 -c "import sys; sys.exit(any(v for v in $drops.values()))" ||
        it_fail "$p: the switch dropped frames: $drops"
done
appctl fdb-show br0 | grep -q " 02:00:00:00:00:0a " || it_fail "A's MAC not learned"
appctl fdb-show br0 | grep -q " 02:00:00:00:00:0b " || it_fail "B's MAC not learned"

# 5. Both power off by themselves (poweroff -f: ACPI S5 -> rsw-vmm exit 0).
for g in a b; do wait_serial $g "RSW-DONE" 30 "guest $g done"; done
for g in a b; do
    [ $g = a ] && pid=$a_pid || pid=$b_pid
    vmm_wait_exit "$pid" 20
    [ "$VMM_RC" = 0 ] || it_fail "rsw-vmm of guest $g exited $VMM_RC after poweroff: $(tail -n 2 "$IT_WORK/vmm-$g.log")"
done
out=$(appctl exit 2>&1) || it_fail "exit method: $out"
for _ in $(seq 1 100); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$switch_pid" 2>/dev/null && it_fail "switch did not exit"
wait "$switch_pid"; rc=$?
[ $rc = 0 ] || it_fail "switch exited with $rc"
echo "PASS: two rsw-vmm Linux guests pinged each other through rsw-switchd ($pings/$pings each way); guest speed $speed instructions/us; total $(elapsed)s"
