/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VMM_API_H
#define RSW_VMM_API_H 1

/* The --api control socket; protocol described in api.c. */

#include <poll.h>
#include "vmm.h"

int vmm_api_create(struct vmm *, const char *path, struct vmm_api **)
    RSW_MUST_CHECK;
void vmm_api_destroy(struct vmm_api *);
/* Main-loop integration, as for virtio-net. */
unsigned vmm_api_poll_fill(struct vmm_api *, struct pollfd *, unsigned max);
void vmm_api_poll_done(struct vmm_api *, const struct pollfd *, unsigned n);

#endif
