/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the COM1 UART of rsw-vmm (vmm/serial.c), driven through
 * the VMM's I/O bus exactly as a guest's port accesses are: receive FIFO
 * fed from a pipe (LSR.DR, RBR, IIR priorities, FIFO full and EOF),
 * transmit to a file, and a terminal (pty) in raw mode with the Ctrl-A
 * escapes, restored at destroy.  Registers: PC16550D datasheet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/vmm.h"

#define RBR 0
#define IER 1
#define IIR 2
#define LCR 3
#define LSR 5

struct fixture {
    struct vmm vmm;
    struct serial *s;
    char out[64];
    int pipe[2];
};

static uint8_t
rd(struct fixture *f, unsigned reg)
{
    uint8_t v = 0xaa;

    vmm_io_dispatch(&f->vmm, IO_PIO, PORT_COM1 + reg, &v, 1, false);
    return v;
}

static void
wr(struct fixture *f, unsigned reg, uint8_t v)
{
    vmm_io_dispatch(&f->vmm, IO_PIO, PORT_COM1 + reg, &v, 1, true);
}

static void
feed(struct fixture *f, const char *data, size_t n)
{
    assert_int_equal(write(f->pipe[1], data, n), (ssize_t) n);
    serial_input_ready(f->s);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char spec[80];
    int fd;

    assert_non_null(f);
    f->vmm.kvm_fd = f->vmm.vm_fd = f->vmm.wake_fd = -1;
    pthread_mutex_init(&f->vmm.lock, NULL);
    pthread_mutex_init(&f->vmm.run_lock, NULL);
    pthread_cond_init(&f->vmm.run_cond, NULL);
    strcpy(f->out, "/tmp/rsw-serial-XXXXXX");
    fd = mkstemp(f->out);
    assert_true(fd >= 0);
    close(fd);
    snprintf(spec, sizeof spec, "file:%s", f->out);
    assert_int_equal(serial_create(&f->vmm, spec, &f->s), 0);
    assert_int_equal(pipe(f->pipe), 0);
    assert_int_equal(serial_attach_input(f->s, f->pipe[0], false), 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    serial_destroy(f->s);
    close(f->pipe[0]);
    if (f->pipe[1] >= 0) {
        close(f->pipe[1]);
    }
    unlink(f->out);
    free(f);
    return 0;
}

static void
test_receive(void **state)
{
    struct fixture *f = *state;

    /* Empty: transmitter idle, no data, no interrupt. */
    assert_int_equal(rd(f, LSR), 0x60);
    assert_int_equal(rd(f, IIR) & 0x0f, 0x01);
    assert_int_equal(serial_input_fd(f->s), f->pipe[0]);
    feed(f, "hi", 2);
    assert_int_equal(rd(f, LSR), 0x61);                 /* DR */
    /* Received-data interrupt only once IER.ERBFI enables it. */
    assert_int_equal(rd(f, IIR) & 0x0f, 0x01);
    wr(f, IER, 0x01);
    assert_int_equal(rd(f, IIR) & 0x0f, 0x04);
    assert_int_equal(rd(f, RBR), 'h');
    assert_int_equal(rd(f, IIR) & 0x0f, 0x04);
    assert_int_equal(rd(f, RBR), 'i');
    assert_int_equal(rd(f, LSR), 0x60);
    assert_int_equal(rd(f, IIR) & 0x0f, 0x01);
    assert_int_equal(rd(f, RBR), 0);                    /* empty: 0 */
}

/* Received data outranks THR empty; DLAB hides RBR. */
static void
test_priority_and_dlab(void **state)
{
    struct fixture *f = *state;

    wr(f, IER, 0x03);
    feed(f, "x", 1);
    assert_int_equal(rd(f, IIR) & 0x0f, 0x04);
    wr(f, LCR, 0x80);
    assert_int_equal(rd(f, RBR), 12);                   /* divisor latch */
    wr(f, LCR, 0x03);
    assert_int_equal(rd(f, LSR) & 1, 1);                /* still there */
    assert_int_equal(rd(f, RBR), 'x');
    assert_int_equal(rd(f, IIR) & 0x0f, 0x02);          /* THRI ... */
    assert_int_equal(rd(f, IIR) & 0x0f, 0x01);          /* ... cleared */
}

/* A full FIFO stops input polling; nothing is lost or reordered. */
static void
test_fifo_full_and_eof(void **state)
{
    struct fixture *f = *state;
    char in[600], got[600];
    size_t n = 0;

    for (size_t i = 0; i < sizeof in; i++) {
        in[i] = (char) ('a' + i % 26);
    }
    assert_int_equal(write(f->pipe[1], in, sizeof in), sizeof in);
    while (n < sizeof in) {
        if (serial_input_fd(f->s) >= 0) {
            serial_input_ready(f->s);
        }
        assert_int_equal(rd(f, LSR) & 1, 1);
        /* Full after one read of 256: the fd is not polled. */
        if (n == 0) {
            assert_int_equal(serial_input_fd(f->s), -1);
        }
        while (rd(f, LSR) & 1) {
            got[n++] = (char) rd(f, RBR);
        }
    }
    assert_memory_equal(in, got, sizeof in);
    close(f->pipe[1]);
    f->pipe[1] = -1;
    serial_input_ready(f->s);                           /* EOF */
    assert_int_equal(serial_input_fd(f->s), -1);
    assert_int_equal(rd(f, LSR), 0x60);
}

static void
test_transmit(void **state)
{
    struct fixture *f = *state;
    char buf[16] = "";
    FILE *fp;

    wr(f, RBR, 'O');
    wr(f, RBR, 'K');
    wr(f, RBR, '\n');
    serial_flush(f->s);
    fp = fopen(f->out, "r");
    assert_non_null(fp);
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "OK\n");
    assert_int_equal(rd(f, LSR) & 1, 0);                /* no echo */
}

/* A terminal: raw while attached, restored by serial_destroy; Ctrl-A
 * Ctrl-A is one Ctrl-A, Ctrl-A x stops the VM. */
static void
test_terminal(void **state)
{
    struct fixture *f = *state;
    struct serial *s;
    struct termios t;
    int master = posix_openpt(O_RDWR | O_NOCTTY), slave;

    (void) state;
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    serial_destroy(f->s);                   /* a second UART on COM1 */
    assert_int_equal(serial_create(&f->vmm, "file:/dev/null", &s), -EEXIST);
    f->vmm.n_ranges = 0;
    assert_int_equal(serial_create(&f->vmm, "file:/dev/null", &f->s), 0);
    s = f->s;
    assert_int_equal(tcgetattr(slave, &t), 0);
    assert_true(t.c_lflag & ICANON);
    assert_int_equal(serial_attach_input(s, slave, true), 0);
    assert_int_equal(tcgetattr(slave, &t), 0);
    assert_false(t.c_lflag & (ICANON | ECHO | ISIG));
    assert_true(t.c_oflag & OPOST);
    assert_int_equal(write(master, "a\001\001b\001x", 6), 6);
    serial_input_ready(s);
    assert_int_equal(rd(f, RBR), 'a');
    assert_int_equal(rd(f, RBR), 1);
    assert_int_equal(rd(f, RBR), 'b');
    assert_int_equal(rd(f, LSR) & 1, 0);
    assert_true(atomic_load(&f->vmm.stop));
    assert_int_equal(f->vmm.exit_code, VMM_EXIT_POWEROFF);
    serial_destroy(s);
    f->s = NULL;
    f->vmm.n_ranges = 0;
    assert_int_equal(tcgetattr(slave, &t), 0);
    assert_true(t.c_lflag & ICANON);
    assert_int_equal(serial_create(&f->vmm, "file:/dev/null", &f->s), 0);
    close(slave);
    close(master);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_and_dlab, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fifo_full_and_eof, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terminal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
