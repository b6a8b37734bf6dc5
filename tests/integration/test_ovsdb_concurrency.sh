#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Several clients transact at once against rsw-ovsdb-server while two
# monitor clients watch: every transaction increments Ringswitch next_cfg
# and inserts one bridge, so the reply's next_cfg is its position in the
# commit order.  Both monitors must see exactly one update per commit, in
# that order (RFC 7047 §4.1.6), with the same sequence.
# Usage: test_ovsdb_concurrency.sh RSW_OVSDB_SERVER OVSDB_CLIENT
. "$(dirname "$0")/lib.sh"

SERVER=$1 CLIENT=$2 NCLIENTS=4 PER=150
DB=$IT_WORK/conf.db SOCK=$IT_WORK/db.sock
it_start server "$SERVER" --db "$DB" --remote "punix:$SOCK" --create
SPID=$IT_LAST_PID
it_wait_for "[ -S $SOCK ]" 10 "server socket"

TOTAL=$((NCLIENTS * PER))
MPIDS=()
for m in 1 2; do
    it_start "monitor$m" "$CLIENT" "$SOCK" monitor "$TOTAL" "$IT_WORK/mon$m"
    MPIDS+=("$IT_LAST_PID")
    it_wait_for "grep -q ready $IT_WORK/monitor$m.log" 10 "monitor $m"
done
WPIDS=()
for c in $(seq 1 $NCLIENTS); do
    "$CLIENT" "$SOCK" concurrent "c$c" "$PER" "$IT_WORK/w$c" > "$IT_WORK/w$c.log" 2>&1 &
    WPIDS+=($!)
done
for p in "${WPIDS[@]}"; do
    wait "$p" || it_fail "a transacting client failed"
done
for p in "${MPIDS[@]}"; do
    wait "$p" || it_fail "a monitor saw a bad update sequence"
done
sort -n "$IT_WORK"/w[0-9]* > "$IT_WORK/committed"
[ "$(wc -l < "$IT_WORK/committed")" -eq "$TOTAL" ] || it_fail "lost replies"
[ "$(cut -d' ' -f1 "$IT_WORK/committed" | uniq | wc -l)" -eq "$TOTAL" ] \
    || it_fail "two commits got the same position"
cmp -s "$IT_WORK/mon1" "$IT_WORK/committed" || it_fail "monitor 1 order differs from the commit order"
cmp -s "$IT_WORK/mon2" "$IT_WORK/committed" || it_fail "monitor 2 order differs from the commit order"
# Each client's own changes appear in the order it made them.
for c in $(seq 1 $NCLIENTS); do
    grep " c$c-" "$IT_WORK/mon1" | awk '{print $2}' | sed "s/c$c-//" | sort -nc \
        || it_fail "client $c's changes out of order"
done
it_stop "$SPID"
echo "PASS: $NCLIENTS clients x $PER transactions, 2 monitors saw the same $TOTAL-commit order"
