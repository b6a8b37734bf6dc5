/* SPDX-License-Identifier: Apache-2.0 */
/* MSI-X table, PBA, KVM GSI routes and irqfd bindings; see msix.h.
 * Everything the guest writes is untrusted: table accesses outside the
 * table or not dword/qword sized are ignored, messages whose address is
 * not in the 0xFEExxxxx interrupt window (Intel SDM vol. 3 §10.11.1) are
 * never routed nor sent, the PBA is read-only (PCI 3.0 §6.8.2.10). */
#include "msix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vhost/vlog.h"

/* PCI 3.0 §6.8.2.3: Message Control. */
#define MSIX_CTRL_ENABLE 0x8000u
#define MSIX_CTRL_MASKALL 0x4000u
#define MSIX_CAP_LEN 12
/* §6.8.2.9: Vector Control bit 0. */
#define MSIX_ENTRY_MASKED 1u
#define MSI_ADDR_MASK 0xfff00000u
#define MSI_ADDR_BASE 0xfee00000u

struct msix_entry {
    uint32_t addr_lo, addr_hi, data, ctrl;
};

struct msix_binding {
    int fd;
    uint16_t vector;
    bool in_kernel;              /* KVM_IRQFD attached */
    unsigned gsi;                /* the GSI it is attached to */
};

struct msix {
    struct vmm *vmm;
    struct pci_device *pci;
    unsigned cap_off, n_vectors, gsi_base;
    bool enabled, masked_all;
    struct msix_entry table[MSIX_MAX_VECTORS];
    uint64_t pba;
    struct msix_binding bind[MSIX_MAX_BINDINGS];
    struct msix_stats stats;
};

static void
cfg_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
}

static bool
entry_addr_ok(const struct msix_entry *e)
{
    return !e->addr_hi && (e->addr_lo & MSI_ADDR_MASK) == MSI_ADDR_BASE;
}

static uint64_t
entry_addr(const struct msix_entry *e)
{
    return (uint64_t) e->addr_hi << 32 | e->addr_lo;
}

/* The vector can reach the CPU now (§6.8.2.3, §6.8.2.9). */
static bool
vector_open(const struct msix *m, unsigned v)
{
    return m->enabled && !m->masked_all && v < m->n_vectors
           && !(m->table[v].ctrl & MSIX_ENTRY_MASKED);
}

/* ---- Keeping KVM in step with the table ---------------------------------- */

static void
sync_routes(struct msix *m)
{
    bool changed = false;

    for (unsigned v = 0; v < m->n_vectors; v++) {
        const struct msix_entry *e = &m->table[v];
        const struct vmm_msi_route *r =
            &m->vmm->msi_routes[m->gsi_base + v - VMM_GSI_MSI_BASE];
        bool valid = m->enabled && entry_addr_ok(e);

        if (r->valid != valid
            || (valid && (r->addr != entry_addr(e) || r->data != e->data))) {
            vmm_msi_set(m->vmm, m->gsi_base + v, entry_addr(e), e->data,
                        valid);
            changed = true;
        }
    }
    if (changed) {
        m->stats.route_commits++;
        if (vmm_msi_commit(m->vmm)) {
            m->stats.errors++;
            RSW_LOG_RL(RSW_LOG_WARN, "msix %02x.0: KVM_SET_GSI_ROUTING "
                       "failed", m->pci->slot);
        }
    }
}

static void
binding_detach(struct msix *m, struct msix_binding *b)
{
    if (b->in_kernel) {
        m->stats.irqfd_changes++;
        if (vmm_irqfd(m->vmm, b->fd, b->gsi, false)) {
            m->stats.errors++;
        }
        b->in_kernel = false;
    }
}

/* Attach or detach each binding's irqfd; returns true if any changed (the
 * owner's poll set changes with it). */
static bool
sync_irqfds(struct msix *m)
{
    bool changed = false;

    for (unsigned i = 0; i < MSIX_MAX_BINDINGS; i++) {
        struct msix_binding *b = &m->bind[i];
        bool want = b->fd >= 0 && vector_open(m, b->vector)
                    && entry_addr_ok(&m->table[b->vector]);
        unsigned gsi = m->gsi_base + b->vector;

        if (b->in_kernel && (!want || b->gsi != gsi)) {
            binding_detach(m, b);
            changed = true;
        }
        if (want && !b->in_kernel) {
            m->stats.irqfd_changes++;
            if (vmm_irqfd(m->vmm, b->fd, gsi, true)) {
                m->stats.errors++;       /* stays polled by the owner */
                continue;
            }
            b->in_kernel = true;
            b->gsi = gsi;
            changed = true;
        }
    }
    return changed;
}

static void
send_msi(struct msix *m, unsigned v)
{
    const struct msix_entry *e = &m->table[v];

    if (!entry_addr_ok(e)) {
        m->stats.bad_address++;
        RSW_LOG_RL(RSW_LOG_WARN, "msix %02x.0: vector %u has no valid "
                   "message address: interrupt dropped", m->pci->slot, v);
        return;
    }
    m->stats.delivered++;
    if (vmm_signal_msi(m->vmm, entry_addr(e), e->data) < 0) {
        m->stats.errors++;
    }
}

/* After any change the guest made: routes, irqfds, then the pending
 * messages whose vector just opened (§6.8.2.10). */
static void
msix_sync(struct msix *m)
{
    sync_routes(m);
    if (sync_irqfds(m)) {
        vmm_wake_main(m->vmm);
    }
    for (unsigned v = 0; v < m->n_vectors; v++) {
        if ((m->pba >> v & 1) && vector_open(m, v)) {
            m->pba &= ~(1ull << v);
            send_msi(m, v);
        }
    }
}

/* ---- Guest accesses --------------------------------------------------------- */

void
msix_table_read(struct msix *m, uint64_t off, void *data, unsigned len)
{
    memset(data, 0, len);
    if (off + len <= (uint64_t) m->n_vectors * MSIX_ENTRY_SIZE) {
        memcpy(data, (const uint8_t *) m->table + off, len);
    }
}

void
msix_table_write(struct msix *m, uint64_t off, const void *data,
                 unsigned len)
{
    /* §6.8.2: DWORD or aligned QWORD accesses, within the table. */
    if ((len != 4 && len != 8) || (off & (len - 1))
        || off + len > (uint64_t) m->n_vectors * MSIX_ENTRY_SIZE) {
        RSW_LOG_RL(RSW_LOG_WARN, "msix %02x.0: bad table write (off %#llx "
                   "len %u) ignored", m->pci->slot, (unsigned long long) off,
                   len);
        return;
    }
    memcpy((uint8_t *) m->table + off, data, len);
    for (unsigned v = 0; v < m->n_vectors; v++) {
        m->table[v].ctrl &= MSIX_ENTRY_MASKED;   /* other bits reserved */
    }
    msix_sync(m);
}

void
msix_pba_read(struct msix *m, uint64_t off, void *data, unsigned len)
{
    uint64_t pba = m->pba;

    memset(data, 0, len);
    if (off < 8) {
        memcpy(data, (const uint8_t *) &pba + off, off + len <= 8 ? len
                                                                  : 8 - off);
    }
}

static uint16_t
control_value(const struct msix *m)
{
    return (uint16_t) ((m->n_vectors - 1)
                       | (m->masked_all ? MSIX_CTRL_MASKALL : 0)
                       | (m->enabled ? MSIX_CTRL_ENABLE : 0));
}

void
msix_control_write(struct msix *m, uint16_t ctl)
{
    /* Only Message Control bits 14-15 are writable (§6.8.2.3). */
    m->enabled = ctl & MSIX_CTRL_ENABLE;
    m->masked_all = ctl & MSIX_CTRL_MASKALL;
    cfg_put16(&m->pci->cfg[m->cap_off + 2], control_value(m));
    msix_sync(m);
}

/* ---- Owner interface -------------------------------------------------------- */

bool
msix_enabled(const struct msix *m)
{
    return m && m->enabled;
}

void
msix_notify(struct msix *m, unsigned vector)
{
    if (vector >= m->n_vectors) {
        return;                           /* NO_VECTOR: no interrupt */
    }
    if (!vector_open(m, vector)) {
        m->stats.pended++;
        m->pba |= 1ull << vector;
        return;
    }
    send_msi(m, vector);
}

void
msix_bind(struct msix *m, unsigned slot, int fd, unsigned vector)
{
    struct msix_binding *b;

    if (slot >= MSIX_MAX_BINDINGS) {
        return;
    }
    b = &m->bind[slot];
    if (b->fd != fd) {
        binding_detach(m, b);
    }
    b->fd = fd;
    b->vector = (uint16_t) (vector < m->n_vectors ? vector : MSIX_NO_VECTOR);
    if (sync_irqfds(m)) {
        vmm_wake_main(m->vmm);
    }
}

bool
msix_slot_in_kernel(const struct msix *m, unsigned slot)
{
    return m && slot < MSIX_MAX_BINDINGS && m->bind[slot].in_kernel;
}

const struct msix_stats *
msix_get_stats(const struct msix *m)
{
    return &m->stats;
}

unsigned
msix_cap_offset(const struct msix *m)
{
    return m->cap_off;
}

/* ---- Creation --------------------------------------------------------------- */

int
msix_create(struct vmm *vmm, struct pci_device *pci, unsigned n_vectors,
            unsigned bar, uint32_t table_off, uint32_t pba_off,
            struct msix **out)
{
    uint8_t cap[MSIX_CAP_LEN] = { 0 };
    struct msix *m;
    int off, err;

    if (!vmm->msi) {
        return -ENOTSUP;
    }
    if (!n_vectors || n_vectors > MSIX_MAX_VECTORS || bar > 5
        || (table_off & 7) || (pba_off & 7)) {
        return -EINVAL;
    }
    m = calloc(1, sizeof *m);
    if (!m) {
        return -ENOMEM;
    }
    m->vmm = vmm;
    m->pci = pci;
    m->n_vectors = n_vectors;
    for (unsigned i = 0; i < MSIX_MAX_BINDINGS; i++) {
        m->bind[i].fd = -1;
        m->bind[i].vector = MSIX_NO_VECTOR;
    }
    for (unsigned v = 0; v < n_vectors; v++) {
        m->table[v].ctrl = MSIX_ENTRY_MASKED;   /* reset state §6.8.2.9 */
    }
    err = vmm_msi_alloc(vmm, n_vectors, &m->gsi_base);
    if (err) {
        goto err_free;
    }
    cfg_put16(cap + 2, control_value(m));
    memcpy(cap + 4, &(uint32_t) { table_off | bar }, 4);
    memcpy(cap + 8, &(uint32_t) { pba_off | bar }, 4);
    off = pci_add_cap(pci, PCI_CAP_ID_MSIX, cap, sizeof cap);
    if (off < 0) {
        err = off;
        goto err_free;
    }
    m->cap_off = (unsigned) off;
    *out = m;
    return 0;

err_free:
    free(m);
    return err;
}

void
msix_destroy(struct msix *m)
{
    if (!m) {
        return;
    }
    for (unsigned i = 0; i < MSIX_MAX_BINDINGS; i++) {
        binding_detach(m, &m->bind[i]);
    }
    free(m);
}
