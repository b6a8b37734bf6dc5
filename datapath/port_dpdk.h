/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_PORT_DPDK_H
#define RSW_PORT_DPDK_H 1

/* DPDK ethdev port provider, interface type "dpdk".
 *
 *   options:devargs=D   required: a PCI address (PF or SR-IOV VF bound to
 *                       vfio-pci, optionally with representor=... devargs)
 *                       or a vdev string (net_tap0,iface=t0,
 *                       net_af_packet0,iface=veth0, net_pcap0,...,
 *                       net_ring0, net_null0).  Probed on add-port unless
 *                       the EAL probed it already; detached on del-port.
 *   options:n_rxq=N, n_txq=N          queues (default 1; clamped to what
 *                                     the device offers, with a warning)
 *   options:n_rxq_desc=N, n_txq_desc=N  ring sizes (default 1024; the
 *                                     device may round them)
 *   options:mtu_request=N             MTU (default 1500)
 *
 * Lives in rswdp (it needs DPDK); rsw-switchd registers it with
 * port_class_register() once the EAL is initialised. */

#include "port.h"

extern const struct port_class port_dpdk_class;

#endif
