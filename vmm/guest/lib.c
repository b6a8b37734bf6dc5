/* SPDX-License-Identifier: Apache-2.0 */
/* Test guest runtime: entry, COM1 output, power-off, timing, parsing. */
#include "guest.h"

#define COM1 0x3f8
#define LSR_THRE 0x20

const struct rsw_boot_info *boot_info;

int guest_main(const struct rsw_boot_info *);

/* Entry (64-bit, paging on, RSP set by the VMM): mark the first
 * instruction on the POST port, then C. */
__asm__(".section .text.entry, \"ax\"\n"
        ".global _start\n"
        "_start:\n"
        "    movb $1, %al\n"
        "    outb %al, $0x80\n"
        "    call guest_main\n"
        "1:  hlt\n"
        "    jmp 1b\n"
        ".previous\n");

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

void *
memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--) {
        *p++ = (uint8_t) c;
    }
    return d;
}

void *
memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) {
        *p++ = *q++;
    }
    return d;
}

static void
putc_serial(char c)
{
    while (!(inb(COM1 + 5) & LSR_THRE)) {
    }
    outb(COM1, (uint8_t) c);
}

void
print(const char *s)
{
    while (*s) {
        putc_serial(*s++);
    }
}

void
print_u64(uint64_t v)
{
    char buf[21];
    int i = 20;

    buf[i] = '\0';
    do {
        buf[--i] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    print(buf + i);
}

void
print_kv(const char *key, uint64_t v)
{
    putc_serial(' ');
    print(key);
    putc_serial('=');
    print_u64(v);
}

void
print_mac(const uint8_t mac[6])
{
    static const char hex[] = "0123456789abcdef";

    for (int i = 0; i < 6; i++) {
        putc_serial(hex[mac[i] >> 4]);
        putc_serial(hex[mac[i] & 15]);
        if (i < 5) {
            putc_serial(':');
        }
    }
}

void
poweroff(uint8_t status)
{
    outb(RSW_GUEST_POWEROFF_PORT, status);
    for (;;) {
        __asm__ volatile("hlt");
    }
}

uint64_t
tsc_per_ms(void)
{
    return boot_info->tsc_khz ? boot_info->tsc_khz : 1000000;
}

uint64_t
cycles_to_us(uint64_t cycles)
{
    return cycles * 1000 / tsc_per_ms();
}

/* "name" or "name:N". */
bool
parse_mode(const char *mode, const char *name, uint64_t *n, bool *has_n)
{
    while (*name && *mode == *name) {
        mode++;
        name++;
    }
    if (*name || (*mode && *mode != ':')) {
        return false;
    }
    *has_n = *mode == ':';
    *n = 0;
    if (*has_n) {
        for (mode++; *mode >= '0' && *mode <= '9'; mode++) {
            *n = *n * 10 + (uint64_t) (*mode - '0');
        }
    }
    return true;
}
