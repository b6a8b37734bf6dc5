/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VHOST_USER_HANDLERS_H
#define RSW_VHOST_USER_HANDLERS_H 1

/* Internal: the backend's per-request handlers, referenced by the message
 * table in vhost_user.c and defined in vhost_backend.c.  Not for users. */

#include "vhost_user.h"

/* One request being handled.  A handler that keeps fds[i] sets it to -1; the
 * dispatcher closes every fd still >= 0 afterwards. */
struct vhost_user_req {
    const struct vhost_user_msg *msg;
    int *fds;
    unsigned nfds;
    struct vhost_user_msg *reply; /* payload for requests with has_reply */
};

vhost_user_handler_fn vhost_backend_get_features;
vhost_user_handler_fn vhost_backend_set_features;
vhost_user_handler_fn vhost_backend_set_owner;
vhost_user_handler_fn vhost_backend_reset_owner;
vhost_user_handler_fn vhost_backend_set_mem_table;
vhost_user_handler_fn vhost_backend_set_vring_num;
vhost_user_handler_fn vhost_backend_set_vring_addr;
vhost_user_handler_fn vhost_backend_set_vring_base;
vhost_user_handler_fn vhost_backend_get_vring_base;
vhost_user_handler_fn vhost_backend_set_vring_fd;
vhost_user_handler_fn vhost_backend_get_protocol_features;
vhost_user_handler_fn vhost_backend_set_protocol_features;
vhost_user_handler_fn vhost_backend_get_queue_num;
vhost_user_handler_fn vhost_backend_set_vring_enable;
vhost_user_handler_fn vhost_backend_send_rarp;
vhost_user_handler_fn vhost_backend_net_set_mtu;
vhost_user_handler_fn vhost_backend_reset_device;
vhost_user_handler_fn vhost_backend_get_max_mem_slots;
vhost_user_handler_fn vhost_backend_add_mem_reg;
vhost_user_handler_fn vhost_backend_rem_mem_reg;

#endif
