/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_MAC_LEARNING_H
#define RSW_MAC_LEARNING_H 1

/* L2 MAC learning table of one bridge (the "normal" action's memory).
 *
 * Maps an (Ethernet address, VLAN) pair to the port it was last seen on:
 * the same MAC in two VLANs is two independent entries, as in OVS (a VLAN
 * is its own broadcast domain; a host may appear in several).  Entries age
 * out 'idle_time' seconds after they were last learned or refreshed by
 * cached traffic (mac_learning_touch); the table holds at
 * most 'max_entries' addresses and, when full, forgets the least recently
 * learned one (as OVS does), so a MAC flood cannot grow memory without
 * bound.  Multicast/broadcast source addresses are never learned.
 *
 * Time is passed in by the caller (seconds, monotonic) so the table is
 * deterministic under test.  Not thread-safe: the owner serialises calls. */

#include <stdbool.h>
#include <stdint.h>
#include "vhost/compiler.h"

#define MAC_LEARNING_DEFAULT_IDLE_TIME 300
#define MAC_LEARNING_DEFAULT_MAX 8192
#define MAC_LEARNING_NO_PORT UINT32_MAX
#define MAC_LEARNING_MAX_VLAN 4095  /* 0: untagged / no VLAN */

struct mac_learning;

/* What mac_learning_learn() did. */
enum mac_learning_result {
    MAC_LEARNING_UNCHANGED,   /* known on that port: timestamp refreshed */
    MAC_LEARNING_NEW,         /* new entry */
    MAC_LEARNING_MOVED,       /* known on another port: moved */
    MAC_LEARNING_IGNORED,     /* multicast/broadcast source: not learned */
};

/* max_entries 0 / idle_time 0 take the defaults.  0 or -ENOMEM. */
int mac_learning_create(unsigned max_entries, unsigned idle_time,
                        struct mac_learning **) RSW_MUST_CHECK;
void mac_learning_destroy(struct mac_learning *);

/* Changes the limits (0 keeps the current value); a smaller size evicts
 * the least recently learned entries at once. */
void mac_learning_set_limits(struct mac_learning *, unsigned max_entries,
                             unsigned idle_time);

/* 'vlan' is 0..MAC_LEARNING_MAX_VLAN (higher bits are ignored). */
enum mac_learning_result mac_learning_learn(struct mac_learning *,
                                            const uint8_t mac[6],
                                            uint16_t vlan, uint32_t port,
                                            uint64_t now);
/* The port 'mac' was learned on in 'vlan', or MAC_LEARNING_NO_PORT if
 * unknown or expired. */
uint32_t mac_learning_lookup(const struct mac_learning *, const uint8_t mac[6],
                             uint16_t vlan, uint64_t now);
/* The id of the entry for (mac, vlan), 0 if none: unique among all tables
 * of the process, never reused, kept across refreshes and moves.  A
 * cache that forwards the address's traffic without learning it again
 * (a megaflow) keeps the id and refreshes the entry through it. */
uint64_t mac_learning_entry_id(const struct mac_learning *,
                               const uint8_t mac[6], uint16_t vlan);
/* Traffic from entry 'id' was seen at 'now' on the port the entry had
 * when the cache was made: the entry stays as young as a learn would keep
 * it (as OVS's revalidators refresh it from datapath flow statistics).
 * false if the entry is gone (expired, evicted, flushed). */
bool mac_learning_touch(struct mac_learning *, uint64_t id, uint64_t now);
/* Removes entries idle for longer than the idle time; returns how many. */
unsigned mac_learning_expire(struct mac_learning *, uint64_t now);
/* Forgets every address learned on 'port' (port deleted); returns how many. */
unsigned mac_learning_flush_port(struct mac_learning *, uint32_t port);
void mac_learning_flush(struct mac_learning *);
unsigned mac_learning_count(const struct mac_learning *);
/* Entries evicted because the table was full. */
uint64_t mac_learning_evictions(const struct mac_learning *);

/* Iteration, most recently learned first: cb returns nonzero to stop. */
typedef int mac_learning_visit_fn(void *aux, const uint8_t mac[6],
                                  uint16_t vlan, uint32_t port, uint64_t age);
void mac_learning_for_each(const struct mac_learning *, uint64_t now,
                           mac_learning_visit_fn *, void *aux);

static inline bool
mac_learning_is_multicast(const uint8_t mac[6])
{
    return mac[0] & 1;
}

#endif
