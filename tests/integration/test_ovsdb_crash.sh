#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Crash consistency of rsw-ovsdb-server: a client streams 1,000
# configuration changes (one transaction each: Interface i-N + Port p-N +
# Bridge br-N + root reference) while the server is killed with SIGKILL at
# random moments and restarted.  After every restart the database must
# hold every acknowledged change, whole, plus at most the in-flight ones
# (one per kill), never part of a transaction.
# Usage: test_ovsdb_crash.sh RSW_OVSDB_SERVER OVSDB_CLIENT [TOTAL]
. "$(dirname "$0")/lib.sh"

SERVER=$1 CLIENT=$2 TOTAL=${3:-1000}
[ -x "$SERVER" ] && [ -x "$CLIENT" ] || it_fail "usage: $0 SERVER CLIENT"
DB=$IT_WORK/conf.db SOCK=$IT_WORK/db.sock
ACK=$IT_WORK/acked SENT=$IT_WORK/sent
: > "$ACK"; : > "$SENT"

start_server() {    # $1: extra args
    it_start "server$ROUND" "$SERVER" --db "$DB" --remote "punix:$SOCK" $1
    SPID=$IT_LAST_PID
    it_wait_for "[ -S $SOCK ] && $CLIENT $SOCK verify $ACK $SENT $KILLS >/dev/null 2>&1" 10 "server socket"
}

next_change() { # first change number not sent yet
    if [ -s "$SENT" ]; then echo $(( $(tail -n 1 "$SENT") + 1 )); else echo 0; fi
}

ROUND=0 KILLS=0
start_server --create
while [ "$(next_change)" -lt "$TOTAL" ]; do
    ROUND=$((ROUND + 1))
    from=$(next_change)
    "$CLIENT" "$SOCK" stream "$from" $((TOTAL - from)) "$ACK" "$SENT" \
        > "$IT_WORK/client$ROUND.log" 2>&1 &
    CPID=$!
    # Kill the server after a random 30-150 more acknowledged changes plus
    # 0-4 ms (somewhere inside a transaction): tied to progress, not to
    # time, so a faster server is killed as often.
    target=$(( $(wc -l < "$ACK") + 30 + RANDOM % 120 ))
    for _ in $(seq 2000); do
        [ "$(wc -l < "$ACK")" -lt "$target" ] && kill -0 "$CPID" 2>/dev/null || break
        sleep 0.005
    done
    sleep "0.00$((RANDOM % 5))"
    if kill -0 "$CPID" 2>/dev/null; then
        kill -KILL "$SPID"; wait "$SPID" 2>/dev/null
        KILLS=$((KILLS + 1))
    fi
    wait "$CPID"; crc=$?
    [ "$crc" -eq 0 ] || [ "$crc" -eq 3 ] || it_fail "client exited $crc: $(cat "$IT_WORK/client$ROUND.log")"
    if ! kill -0 "$SPID" 2>/dev/null; then
        start_server ""
    fi
    out=$("$CLIENT" "$SOCK" verify "$ACK" "$SENT" "$KILLS") || it_fail "round $ROUND: $out"
    it_log "round $ROUND: kills $KILLS, acked $(wc -l < "$ACK"): $out"
done
grep -h "recovery removed" "$IT_WORK"/server*.log | head -5
[ "$KILLS" -ge 3 ] || it_fail "only $KILLS kills happened: the stream ran too fast"
[ "$(wc -l < "$ACK")" -ge $((TOTAL - KILLS)) ] || it_fail "too few acknowledged changes"
it_stop "$SPID"
echo "PASS: $TOTAL changes, $KILLS SIGKILLs, $(wc -l < "$ACK") acknowledged, all present and whole"
