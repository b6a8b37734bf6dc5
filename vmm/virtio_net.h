/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VMM_VIRTIO_NET_H
#define RSW_VMM_VIRTIO_NET_H 1

/* virtio-net device (virtio 1.1 §5.1) on the modern virtio-pci transport,
 * whose queue pairs (receiveqN = vring 2(N-1), transmitqN = vring 2(N-1)+1)
 * are served by a vhost-user backend through the frontend role in
 * ../vhost/.  The VMM
 * owns the control plane -- features, MAC, link status, MTU -- and the
 * backend reads and writes the guest's rings and buffers directly in the
 * shared memfd.  Kicks are KVM ioeventfds handed to the backend as its
 * kick fds, so they never reach the VMM; the backend's call eventfds are
 * KVM irqfds on the queues' MSI-X vectors when the driver enabled MSI-X
 * (never reaching the VMM either), else polled here and turned into the
 * transport's INTx interrupt (or a pending MSI-X bit while masked).
 *
 * Multiqueue (queues=N > 1): VIRTIO_NET_F_MQ and VIRTIO_NET_F_CTRL_VQ are
 * offered, max_virtqueue_pairs = N, and the control queue (the last one)
 * is served here in the VMM: VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (§5.1.6.5.5)
 * enables that many pairs at the backend (SET_VRING_ENABLE), every other
 * command is answered VIRTIO_NET_ERR.  Only pair 1 runs until the driver
 * sets more.  The backend must serve N pairs (GET_QUEUE_NUM). */

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include "vmm.h"

struct json_object;

struct virtio_net_config {
    const char *path;          /* vhost-user socket */
    bool server;               /* we listen, the backend connects */
    uint8_t mac[6];
    uint16_t mtu;              /* 0: not advertised */
    int connect_timeout_ms;    /* wait for the backend before booting */
    unsigned queues;           /* queue pairs, 1..VIRTIO_NET_MAX_PAIRS
                                * (0 = 1) */
};

/* 2 x 7 data queues + the control queue fit the transport's 15 queues and
 * 16 MSI-X vectors, and the vhost-user frontend's 16 vrings. */
#define VIRTIO_NET_MAX_PAIRS 7

int virtio_net_create(struct vmm *, struct pci_bus *,
                      const struct virtio_net_config *,
                      struct virtio_net **, char *err, size_t errlen)
    RSW_MUST_CHECK;
void virtio_net_destroy(struct virtio_net *);

/* Main-loop integration: fills up to 'max' pollfds, then handles them.
 * Both take vmm->lock themselves. */
unsigned virtio_net_poll_fill(struct virtio_net *, struct pollfd *,
                              unsigned max);
void virtio_net_poll_done(struct virtio_net *, const struct pollfd *,
                          unsigned n);

/* Device state for the control API (a new json object). */
struct json_object *virtio_net_stats_json(struct virtio_net *);

#endif
