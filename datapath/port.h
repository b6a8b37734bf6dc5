/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_PORT_H
#define RSW_PORT_H 1

/* Port providers: what the datapath needs from a kind of port.
 *
 * A provider is a 'struct port_class' ops table; a port object starts with
 * a 'struct port' the datapath reads (name, number, counters), the rest is
 * the provider's.  Today: "vhostuser" / "vhostuserclient" (port_vhost.c,
 * our own vhost-user library), built in; "dpdk" (port_dpdk.c, any DPDK
 * ethdev), registered at run time with port_class_register() because it
 * needs DPDK.
 *
 * Threads.  construct/destruct/control_fd/run/get_status run on the
 * control thread.  rx_burst and rx_release of one rx queue run on the one
 * PMD polling it; tx_batch may run on several PMDs at once (the provider
 * serialises per tx queue).  A provider whose queues go away under the
 * datapath (a vhost frontend stopping a ring) clears what PMDs read and
 * then calls hooks->synchronize(): when that returns no PMD is inside a
 * burst that started before, so the old queue is unused. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dp_packet.h"
#include "vhost/compiler.h"

#define PORT_NAME_MAX 64

/* Every reason a packet is dropped at or because of a port. */
enum port_drop_reason {
    PORT_DROP_TX_NO_ROOM,    /* destination queue full / no RX buffers */
    PORT_DROP_TX_NOT_READY,  /* destination queue not set up (no peer) */
    PORT_DROP_NO_MBUF,       /* buffer pool empty (ethdev provider) */
    PORT_DROP_BAD_DESC,      /* descriptor chain refused (peer's fault) */
    PORT_DROP_RUNT,          /* frame shorter than an Ethernet header */
    PORT_DROP_TOO_BIG,       /* frame does not fit the destination */
    PORT_DROP_QUEUE_BROKEN,  /* queue marked broken (hostile peer) */
    PORT_DROP_NO_ROUTE,      /* no output: table miss, drop action, ... */
    PORT_DROP_UPCALL_FAIL,   /* slow path failed */
    PORT_DROP_N
};
const char *port_drop_reason_name(enum port_drop_reason);

struct port_stats {
    uint64_t rx_packets, rx_bytes;
    uint64_t tx_packets, tx_bytes;
    uint64_t drops[PORT_DROP_N];
};

/* Counter updates may come from several PMDs: relaxed atomic adds, done
 * once per batch. */
static inline void
port_stat_add(uint64_t *counter, uint64_t n)
{
    if (n) {
        __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
    }
}

struct port_arg {
    const char *key, *value;
};

struct port_args {
    const struct port_arg *args;
    unsigned n;
};

const char *port_args_get(const struct port_args *, const char *key);

/* The tx queue lock of port providers: held for one tx burst, so a
 * spinlock; uncontended (one PMD per queue) it costs one atomic. */
static inline void
port_spin_lock(int *lock)
{
    while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(lock, __ATOMIC_RELAXED)) {
            __builtin_ia32_pause();
        }
    }
}

static inline void
port_spin_unlock(int *lock)
{
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* A whole-number option of a port type: options:KEY in [min, max], 'def'
 * when absent; 'what' (may be NULL) explains it in the error message. */
struct port_uint_option {
    const char *key;
    const char *what;
    unsigned def, min, max;
};
/* 0, or -EINVAL with "TYPE: options:KEY (WHAT) must be MIN..MAX, got 'V'"
 * in 'err' (decimal digits only: no sign, no blanks). */
int port_args_get_uint(const struct port_args *, const char *type,
                       const struct port_uint_option *, unsigned *out,
                       char *err, size_t err_size) RSW_MUST_CHECK;

struct port_hooks {
    /* Waits until every PMD has passed a quiescent point. */
    void (*synchronize)(void *aux);
    void *aux;
};

struct port_class;

struct port {
    const struct port_class *class;
    char name[PORT_NAME_MAX];
    char type[16];
    uint32_t port_no;           /* datapath number, set by the datapath */
    struct port_stats stats;    /* port_stat_add() */
};

struct port_class {
    const char *type;
    /* 'err' gets a one-line reason on failure. */
    int (*construct)(const char *type, const char *name,
                     const struct port_args *, const struct port_hooks *,
                     struct port **, char *err, size_t err_size);
    void (*destruct)(struct port *);
    unsigned (*n_rxq)(const struct port *);
    /* NUMA node of rx queue 'qid', or -1 if unknown. */
    int (*rxq_numa)(const struct port *, unsigned qid);
    /* Appends received packets to 'batch' (at most up to its capacity);
     * returns how many.  Counts its own drops. */
    unsigned (*rx_burst)(struct port *, unsigned qid,
                         struct dp_packet_batch *);
    /* The burst's packets are done (all outputs flushed): give their
     * buffers back to the source. */
    void (*rx_release)(struct port *, unsigned qid);
    /* Sends pkts[0..n): counts tx and drops by reason; one notification. */
    void (*tx_batch)(struct port *, struct dp_packet *const pkts[],
                     unsigned n);
    /* fd the control thread polls for this port (-1: none), and the work
     * to do when it is readable. */
    int (*control_fd)(const struct port *);
    void (*run)(struct port *);
    /* One-line human status ("connected", "waiting for frontend"). */
    void (*get_status)(const struct port *, char *buf, size_t size);
};

/* Adds a provider that lives outside this DPDK-free library: the DPDK
 * ethdev class (port_dpdk.h) is registered by rsw-switchd after the EAL is
 * up, so unit tests and fuzzers link the datapath core without DPDK.  A
 * registered class serves exactly its type.  Call from the control thread
 * before ports of that type are created.  -EEXIST if the type is taken,
 * -ENOSPC when the table is full. */
int port_class_register(const struct port_class *) RSW_MUST_CHECK;

/* Constructs a port of 'type' (looked up among the known classes). */
int port_create(const char *type, const char *name, const struct port_args *,
                const struct port_hooks *, struct port **, char *err,
                size_t err_size) RSW_MUST_CHECK;
/* NULL is a no-op. */
void port_destroy(struct port *);
void port_get_stats(const struct port *, struct port_stats *);

extern const struct port_class port_vhost_class;

#endif
