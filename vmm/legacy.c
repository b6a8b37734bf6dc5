/* SPDX-License-Identifier: Apache-2.0 */
/* Legacy PC odds and ends: the i8042 controller's reset line (command 0xFE
 * on port 0x64, what Linux "reboot=k" uses), port 0x92 fast reset, the
 * rsw-vmm power-off register on port 0xf4 (the byte written is the guest's
 * status: 0 = success) and the POST port 0x80 (Linux io_delay target; its
 * first write marks the first guest instruction of the test guest), and
 * the ACPI sleep control/status register the HW-reduced FADT points at
 * (acpi.h): SLP_EN with SLP_TYP 5 (\_S5) powers off. */
#include "vmm.h"

#include <string.h>

#include "acpi.h"

#define I8042_CMD_RESET 0xfe
#define PORT92_RESET 0x01

static void
i8042_read(void *dev RSW_UNUSED, uint64_t off RSW_UNUSED, void *data,
           unsigned len)
{
    /* Status 0: output buffer empty, input buffer empty; no data. */
    memset(data, 0, len);
}

static void
i8042_write(void *dev, uint64_t off, const void *data, unsigned len RSW_UNUSED)
{
    struct vmm *vmm = dev;

    if (off == PORT_I8042_CMD - PORT_I8042_DATA
        && *(const uint8_t *) data == I8042_CMD_RESET) {
        vmm_request_exit(vmm, VMM_EXIT_RESET, "guest reset (i8042 0xfe)");
    }
}

static const struct io_dev_ops i8042_ops = {
    .read = i8042_read,
    .write = i8042_write,
};

static void
port92_write(void *dev, uint64_t off RSW_UNUSED, const void *data,
             unsigned len RSW_UNUSED)
{
    if (*(const uint8_t *) data & PORT92_RESET) {
        vmm_request_exit(dev, VMM_EXIT_RESET, "guest reset (port 0x92)");
    }
}

static const struct io_dev_ops port92_ops = {
    .read = i8042_read,
    .write = port92_write,
};

static void
poweroff_write(void *dev, uint64_t off RSW_UNUSED, const void *data,
               unsigned len RSW_UNUSED)
{
    uint8_t status = *(const uint8_t *) data;

    if (status) {
        vmm_request_exit(dev, VMM_EXIT_GUEST_FAILURE,
                         "guest powered off with failure status %u", status);
    } else {
        vmm_request_exit(dev, VMM_EXIT_POWEROFF, "guest powered off");
    }
}

static const struct io_dev_ops poweroff_ops = {
    .read = i8042_read,
    .write = poweroff_write,
};

static void
post_write(void *dev RSW_UNUSED, uint64_t off RSW_UNUSED,
           const void *data RSW_UNUSED, unsigned len RSW_UNUSED)
{
    /* The timestamp is taken in the vCPU exit path (cpu.c). */
}

static const struct io_dev_ops post_ops = {
    .read = i8042_read,
    .write = post_write,
};

/* ACPI 6.4 §4.8.3.7 sleep control register: the kernel writes
 * SLP_TYP << 2 | SLP_EN; the same port read as the sleep status register
 * reports no wake event (WAK_STS clear).  Other sleep states are not
 * supported and ignored, as is clearing WAK_STS (bit 7). */
static void
acpi_sleep_write(void *dev, uint64_t off RSW_UNUSED, const void *data,
                 unsigned len RSW_UNUSED)
{
    uint8_t v = *(const uint8_t *) data;

    if ((v & ACPI_SLP_EN) && ((v & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT)
                             == ACPI_S5_SLP_TYP) {
        vmm_request_exit(dev, VMM_EXIT_POWEROFF,
                         "guest powered off (ACPI S5)");
    }
}

static const struct io_dev_ops acpi_sleep_ops = {
    .read = i8042_read,
    .write = acpi_sleep_write,
};

int
legacy_devices_create(struct vmm *vmm)
{
    int err = vmm_io_register(vmm, IO_PIO, PORT_I8042_DATA,
                              PORT_I8042_CMD - PORT_I8042_DATA + 1,
                              &i8042_ops, vmm, "i8042");
    if (!err) {
        err = vmm_io_register(vmm, IO_PIO, 0x92, 1, &port92_ops, vmm,
                              "port92");
    }
    if (!err) {
        err = vmm_io_register(vmm, IO_PIO, PORT_POWEROFF, 1, &poweroff_ops,
                              vmm, "poweroff");
    }
    if (!err) {
        err = vmm_io_register(vmm, IO_PIO, PORT_POST, 1, &post_ops, vmm,
                              "post");
    }
    if (!err) {
        err = vmm_io_register(vmm, IO_PIO, ACPI_SLEEP_PORT, 1,
                              &acpi_sleep_ops, vmm, "acpi-sleep");
    }
    return err;
}
