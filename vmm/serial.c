/* SPDX-License-Identifier: Apache-2.0 */
/* 8250/16550A UART on COM1 (0x3f8, IRQ 4), output only: what the guest
 * transmits goes to stdout or a file.  The transmitter is always empty, so
 * LSR reports THRE|TEMT and, when the guest enables the THR-empty
 * interrupt (IER bit 1), IIR reports it and IRQ 4 is pulsed, as the Linux
 * 8250 driver expects.  Registers: PC16550D datasheet, table 2. */
#include "vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UART_RBR_THR 0
#define UART_IER 1
#define UART_IIR_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_LCR_DLAB 0x80
#define UART_IER_THRI 0x02
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_FIFO 0xc0
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MCR_LOOP 0x10
#define UART_MSR_DCD_DSR_CTS 0xb0

struct serial {
    struct vmm *vmm;
    int fd;
    bool own_fd;
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
    bool thri_pending;
    char buf[512];
    size_t len;
};

void
serial_flush(struct serial *s)
{
    size_t off = 0;

    if (!s) {
        return;
    }
    while (off < s->len) {
        ssize_t n = write(s->fd, s->buf + off, s->len - off);
        if (n <= 0) {
            break;          /* output gone: the guest's bytes are dropped */
        }
        off += (size_t) n;
    }
    s->len = 0;
}

static void
serial_update_irq(struct serial *s)
{
    if ((s->ier & UART_IER_THRI) && s->thri_pending) {
        vmm_irq_line(s->vmm, IRQ_COM1, 1);
        vmm_irq_line(s->vmm, IRQ_COM1, 0);
    }
}

static void
serial_tx(struct serial *s, uint8_t c)
{
    if (s->mcr & UART_MCR_LOOP) {
        return;             /* loopback: nothing leaves the UART */
    }
    s->buf[s->len++] = (char) c;
    if (c == '\n' || s->len == sizeof s->buf) {
        serial_flush(s);
    }
    s->thri_pending = true;
}

static uint8_t
serial_iir(struct serial *s)
{
    uint8_t fifo = (s->fcr & 1) ? UART_IIR_FIFO : 0;

    if ((s->ier & UART_IER_THRI) && s->thri_pending) {
        s->thri_pending = false;     /* reading IIR clears THRI (§8.6) */
        return fifo | UART_IIR_THRI;
    }
    return fifo | UART_IIR_NO_INT;
}

static void
serial_read(void *dev, uint64_t off, void *data, unsigned len)
{
    struct serial *s = dev;
    uint8_t v = 0;
    bool dlab = s->lcr & UART_LCR_DLAB;

    switch (off) {
    case UART_RBR_THR: v = dlab ? s->dll : 0; break;
    case UART_IER: v = dlab ? s->dlm : s->ier; break;
    case UART_IIR_FCR: v = serial_iir(s); break;
    case UART_LCR: v = s->lcr; break;
    case UART_MCR: v = s->mcr; break;
    case UART_LSR: v = UART_LSR_THRE | UART_LSR_TEMT; break;
    case UART_MSR:
        v = (s->mcr & UART_MCR_LOOP) ? (uint8_t) ((s->mcr & 0xf) << 4)
                                     : UART_MSR_DCD_DSR_CTS;
        break;
    case UART_SCR: v = s->scr; break;
    default: break;
    }
    memset(data, 0, len);
    *(uint8_t *) data = v;
}

static void
serial_write(void *dev, uint64_t off, const void *data, unsigned len RSW_UNUSED)
{
    struct serial *s = dev;
    uint8_t v = *(const uint8_t *) data;
    bool dlab = s->lcr & UART_LCR_DLAB;

    switch (off) {
    case UART_RBR_THR:
        if (dlab) {
            s->dll = v;
        } else {
            serial_tx(s, v);
        }
        break;
    case UART_IER:
        if (dlab) {
            s->dlm = v;
        } else {
            s->ier = v & 0x0f;
            s->thri_pending = true;  /* THR is empty right now */
        }
        break;
    case UART_IIR_FCR: s->fcr = v; break;
    case UART_LCR: s->lcr = v; break;
    case UART_MCR: s->mcr = v & 0x1f; break;
    case UART_SCR: s->scr = v; break;
    default: break;
    }
    serial_update_irq(s);
}

static const struct io_dev_ops serial_ops = {
    .read = serial_read,
    .write = serial_write,
};

static int
serial_open_output(struct serial *s, const char *spec)
{
    if (!spec || !strcmp(spec, "stdout")) {
        s->fd = STDOUT_FILENO;
        return 0;
    }
    if (strncmp(spec, "file:", 5) || !spec[5]) {
        return -EINVAL;
    }
    s->fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        return -errno;
    }
    s->own_fd = true;
    return 0;
}

int
serial_create(struct vmm *vmm, const char *spec, struct serial **out)
{
    struct serial *s = calloc(1, sizeof *s);
    int err;

    if (!s) {
        return -ENOMEM;
    }
    s->vmm = vmm;
    s->dll = 12;                      /* 9600 baud until the guest says */
    err = serial_open_output(s, spec);
    if (err) {
        goto err_free;
    }
    err = vmm_io_register(vmm, IO_PIO, PORT_COM1, 8, &serial_ops, s, "com1");
    if (err) {
        goto err_close;
    }
    *out = s;
    return 0;

err_close:
    if (s->own_fd) {
        close(s->fd);
    }
err_free:
    free(s);
    return err;
}

void
serial_destroy(struct serial *s)
{
    if (!s) {
        return;
    }
    serial_flush(s);
    if (s->own_fd) {
        close(s->fd);
    }
    free(s);
}
