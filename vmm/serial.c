/* SPDX-License-Identifier: Apache-2.0 */
/* 8250/16550A UART on COM1 (0x3f8, IRQ 4).  What the guest transmits goes
 * to stdout or a file; the transmitter is always empty, so LSR reports
 * THRE|TEMT.  Input (stdin when it is a terminal or a pipe) fills a
 * receive FIFO: LSR.DR while it holds data, RBR pops it.  The interrupt
 * line is level, as on the chip: high while an enabled condition holds
 * (received data with IER.ERBFI, THR empty with IER.ETBEI until IIR is
 * read), lowered when it clears; IIR reports the highest-priority one.
 * Registers: PC16550D datasheet, tables 2 and 4 (interrupt priorities).
 *
 * A terminal is switched to raw mode (so the guest gets every key, ^C
 * included) and restored at exit; Ctrl-A x stops rsw-vmm, Ctrl-A Ctrl-A
 * sends one Ctrl-A (the QEMU convention). */
#include "vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "vhost/vlog.h"

#define UART_RBR_THR 0
#define UART_IER 1
#define UART_IIR_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_LCR_DLAB 0x80
#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_FIFO 0xc0
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MCR_LOOP 0x10
#define UART_MSR_DCD_DSR_CTS 0xb0

#define SERIAL_RX_SIZE 256       /* host-side FIFO; input waits when full */
#define ESCAPE_CHAR 0x01         /* Ctrl-A */

struct serial {
    struct vmm *vmm;
    int fd;
    bool own_fd;
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
    bool thri_pending;
    bool irq_level;              /* what the INTR line is driven to */
    char buf[512];
    size_t len;

    /* Input: 'in_fd' is -1 without input or after its EOF; 'tty_fd' is
     * the terminal put in raw mode (-1: none), restored at destroy. */
    int in_fd, tty_fd;
    bool escape;
    struct termios saved_tty;
    uint8_t rx[SERIAL_RX_SIZE];
    unsigned rx_head, rx_count;
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

static bool
serial_rdi_pending(const struct serial *s)
{
    return (s->ier & UART_IER_RDI) && s->rx_count;
}

/* The INTR output follows the enabled conditions; KVM raises IRQ 4 on
 * the rising edge (ISA IRQs are edge-triggered on the IOAPIC). */
static void
serial_update_irq(struct serial *s)
{
    bool level = serial_rdi_pending(s)
                 || ((s->ier & UART_IER_THRI) && s->thri_pending);

    if (level != s->irq_level) {
        s->irq_level = level;
        vmm_irq_line(s->vmm, IRQ_COM1, level);
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

/* Received data first: it has priority over THR empty (table 4). */
static uint8_t
serial_iir(struct serial *s)
{
    uint8_t fifo = (s->fcr & 1) ? UART_IIR_FIFO : 0;

    if (serial_rdi_pending(s)) {
        return fifo | UART_IIR_RDI;
    }
    if ((s->ier & UART_IER_THRI) && s->thri_pending) {
        s->thri_pending = false;     /* reading IIR clears THRI (§8.6) */
        return fifo | UART_IIR_THRI;
    }
    return fifo | UART_IIR_NO_INT;
}

/* RBR: the oldest received byte (0 when empty, as a real UART returns
 * stale data).  Room again in a full FIFO: the main loop polls input. */
static uint8_t
serial_rx_pop(struct serial *s)
{
    uint8_t c;

    if (!s->rx_count) {
        return 0;
    }
    c = s->rx[s->rx_head];
    s->rx_head = (s->rx_head + 1) % SERIAL_RX_SIZE;
    if (s->rx_count-- == SERIAL_RX_SIZE) {
        vmm_wake_main(s->vmm);
    }
    return c;
}

static void
serial_read(void *dev, uint64_t off, void *data, unsigned len)
{
    struct serial *s = dev;
    uint8_t v = 0;
    bool dlab = s->lcr & UART_LCR_DLAB;

    switch (off) {
    case UART_RBR_THR: v = dlab ? s->dll : serial_rx_pop(s); break;
    case UART_IER: v = dlab ? s->dlm : s->ier; break;
    case UART_IIR_FCR: v = serial_iir(s); break;
    case UART_LCR: v = s->lcr; break;
    case UART_MCR: v = s->mcr; break;
    case UART_LSR:
        v = UART_LSR_THRE | UART_LSR_TEMT | (s->rx_count ? UART_LSR_DR : 0);
        break;
    case UART_MSR:
        v = (s->mcr & UART_MCR_LOOP) ? (uint8_t) ((s->mcr & 0xf) << 4)
                                     : UART_MSR_DCD_DSR_CTS;
        break;
    case UART_SCR: v = s->scr; break;
    default: break;
    }
    memset(data, 0, len);
    *(uint8_t *) data = v;
    serial_update_irq(s);        /* RBR and IIR reads clear conditions */
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

/* ---- Input ------------------------------------------------------------------ */

/* Raw mode: every byte reaches the guest, no echo, no signals from ^C/^Z;
 * output post-processing stays on so bare "\n" still starts a line. */
static int
serial_tty_raw(struct serial *s, int fd)
{
    struct termios t;

    if (tcgetattr(fd, &s->saved_tty) < 0) {
        return -errno;
    }
    t = s->saved_tty;
    cfmakeraw(&t);
    t.c_oflag |= OPOST;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &t) < 0) {
        return -errno;
    }
    s->tty_fd = fd;
    return 0;
}

static void
serial_tty_restore(struct serial *s)
{
    if (s->tty_fd >= 0) {
        tcsetattr(s->tty_fd, TCSANOW, &s->saved_tty);
        s->tty_fd = -1;
    }
}

int
serial_attach_input(struct serial *s, int fd, bool tty)
{
    int err = tty ? serial_tty_raw(s, fd) : 0;

    if (!err) {
        s->in_fd = fd;
    }
    return err;
}

int
serial_attach_stdin(struct serial *s)
{
    struct stat st;

    if (fstat(STDIN_FILENO, &st) < 0) {
        return 0;                /* no stdin: nothing to receive */
    }
    if (isatty(STDIN_FILENO)) {
        /* A background job touching its terminal is stopped (SIGTTIN,
         * SIGTTOU): only the foreground one takes the keyboard. */
        if (tcgetpgrp(STDIN_FILENO) != getpgrp()) {
            return 0;
        }
        return serial_attach_input(s, STDIN_FILENO, true);
    }
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
        return serial_attach_input(s, STDIN_FILENO, false);
    }
    return 0;
}

static unsigned
serial_rx_room(struct serial *s)
{
    unsigned room;

    pthread_mutex_lock(&s->vmm->lock);
    room = SERIAL_RX_SIZE - s->rx_count;
    pthread_mutex_unlock(&s->vmm->lock);
    return room;
}

int
serial_input_fd(struct serial *s)
{
    return s && s->in_fd >= 0 && serial_rx_room(s) ? s->in_fd : -1;
}

/* Terminal escapes: Ctrl-A x stops the VM, Ctrl-A Ctrl-A is one Ctrl-A,
 * Ctrl-A and anything else sends that other byte.  Returns the number of
 * bytes kept in 'b'; sets *quit. */
static size_t
serial_unescape(struct serial *s, uint8_t *b, size_t n, bool *quit)
{
    size_t out = 0;

    for (size_t i = 0; i < n; i++) {
        if (s->escape) {
            s->escape = false;
            if (b[i] == 'x' || b[i] == 'X') {
                *quit = true;
                break;
            }
            b[out++] = b[i];
        } else if (b[i] == ESCAPE_CHAR) {
            s->escape = true;
        } else {
            b[out++] = b[i];
        }
    }
    return out;
}

void
serial_input_ready(struct serial *s)
{
    uint8_t b[SERIAL_RX_SIZE];
    unsigned room = serial_rx_room(s);
    bool quit = false;
    ssize_t n;

    if (s->in_fd < 0 || !room) {
        return;
    }
    n = read(s->in_fd, b, room);     /* once: poll said it won't block */
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return;
        }
        RSW_LOG(RSW_LOG_INFO, "serial: input %s, no more input",
                n ? strerror(errno) : "at end of file");
        s->in_fd = -1;
        return;
    }
    if (s->tty_fd >= 0) {
        n = (ssize_t) serial_unescape(s, b, (size_t) n, &quit);
    }
    pthread_mutex_lock(&s->vmm->lock);
    for (ssize_t i = 0; i < n; i++) {
        s->rx[(s->rx_head + s->rx_count++) % SERIAL_RX_SIZE] = b[i];
    }
    serial_update_irq(s);
    pthread_mutex_unlock(&s->vmm->lock);
    if (quit) {
        vmm_request_exit(s->vmm, VMM_EXIT_POWEROFF,
                         "stopped from the console (Ctrl-A x)");
    }
}

/* ---- Life cycle ------------------------------------------------------------- */

int
serial_create(struct vmm *vmm, const char *spec, struct serial **out)
{
    struct serial *s = calloc(1, sizeof *s);
    int err;

    if (!s) {
        return -ENOMEM;
    }
    s->vmm = vmm;
    s->in_fd = s->tty_fd = -1;
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
    serial_tty_restore(s);
    if (s->own_fd) {
        close(s->fd);
    }
    free(s);
}
