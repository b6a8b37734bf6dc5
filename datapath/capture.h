/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_CAPTURE_H
#define RSW_CAPTURE_H 1

/* Packet capture of one port to a pcap file (rsw-appctl capture).
 *
 * Design
 * ======
 *
 * A PMD must never make a system call or wait for a disk, and a capture
 * that is off must cost nothing.  So:
 *
 *  - The datapath keeps one capture pointer per port, NULL when off; a PMD
 *    loads it once per rx burst and once per output batch (dpif.c).
 *
 *  - On the PMD, capture_packet() runs the BPF filter (compiled by libpcap
 *    from the user's expression) on the packet's private header copy --
 *    the bytes the datapath classified, never guest memory again -- with
 *    the frame's true length as the wire length, so a filter that looks
 *    past the copied headers just does not match.  A matching packet is
 *    copied (up to the snap length, from the header copy and the source
 *    buffers) into a slot of a fixed ring and timestamped with a vDSO
 *    clock read.  A full ring drops the copy and counts it: the switch
 *    never slows down for a slow disk.
 *
 *  - Several PMDs may capture the same port (its output direction can be
 *    fed by any of them): producers take a tiny spinlock around the slot
 *    reservation; the one consumer reads without it.
 *
 *  - A writer thread drains the ring into the file with libpcap's
 *    pcap_dump (DLT_EN10MB), polling every millisecond when idle.  It ends
 *    the capture when --count packets were written or --duration passed;
 *    capture_stop() (the control thread, after the datapath no longer
 *    hands it packets) ends it with whatever is queued written out.
 *
 * Threads: capture_create/stop/destroy/get_stats on the control thread,
 * capture_packet on PMDs, plus the writer thread inside. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dp_packet.h"
#include "vhost/compiler.h"

#define CAPTURE_SNAPLEN_DEFAULT 2048
#define CAPTURE_SNAPLEN_MAX 65535
#define CAPTURE_RING_SLOTS 4096

struct capture;

enum capture_dir {
    CAPTURE_DIR_RX,     /* received by the switch on the port */
    CAPTURE_DIR_TX,     /* sent by the switch on the port */
};

struct capture_options {
    const char *file;       /* pcap file to create (truncated) */
    const char *filter;     /* BPF expression; NULL or "" = everything */
    uint64_t max_packets;   /* 0 = no limit */
    double max_seconds;     /* 0 = no limit */
    uint32_t snaplen;       /* 0 = CAPTURE_SNAPLEN_DEFAULT */
    bool rx, tx;            /* directions; both false = both */
};

struct capture_stats {
    uint64_t matched;       /* passed the filter */
    uint64_t written;       /* in the file */
    uint64_t dropped;       /* ring full: not captured */
    uint64_t filtered;      /* did not pass the filter */
    bool done;              /* count or duration reached, or stopped */
};

/* Compiles the filter, creates the file and starts the writer.  On error
 * 'err' gets one line ("bad filter 'x': syntax error", "cannot create
 * F: Permission denied"). */
int capture_create(const struct capture_options *, struct capture **,
                   char *err, size_t err_size) RSW_MUST_CHECK;

/* PMD side: offers one packet seen in direction 'dir'. */
void capture_packet(struct capture *, const struct dp_packet *,
                    enum capture_dir);

/* True once the writer has finished on its own (count or duration). */
bool capture_is_done(const struct capture *);
void capture_get_stats(const struct capture *, struct capture_stats *);
const char *capture_file(const struct capture *);

/* Control side, once no PMD can still call capture_packet() on it: ends
 * the writer after it wrote what is queued (the stats are then final).
 * Idempotent. */
void capture_finish(struct capture *);

/* Control side, once no PMD can still call capture_packet() on it:
 * capture_finish(), closes the file, frees.  NULL is a no-op. */
void capture_destroy(struct capture *);

#endif
