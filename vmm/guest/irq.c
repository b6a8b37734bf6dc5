/* SPDX-License-Identifier: Apache-2.0 */
/* Interrupts for the test guest's MSI-X modes: an IDT whose gates count
 * what arrives, the local APIC software-enabled (Intel SDM vol. 3 §10.4.7)
 * with a periodic timer as a watchdog tick (so a lost interrupt can never
 * hang a HLT), and the 8259 PICs masked (INTx and the PIT stay out). */
#include "guest.h"

#define LAPIC_BASE 0xfee00000ull
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_PERIODIC 0x20000u
#define TIMER_DIV_16 0x3u
#define TIMER_COUNT 625000u           /* ~10 ms at KVM's 1 GHz APIC bus */

volatile uint64_t irq_msi_count, irq_tick_count, irq_other_count;

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));

/* Each stub counts, acknowledges the LAPIC (EOI) and returns. */
#define IRQ_STUB(name, counter)                                         \
    __asm__(".text\n" #name ":\n"                                       \
            "    push %rax\n"                                           \
            "    lock incq " #counter "(%rip)\n"                        \
            "    mov $0xfee000b0, %eax\n"                               \
            "    movl $0, (%rax)\n"                                     \
            "    pop %rax\n"                                            \
            "    iretq\n")
IRQ_STUB(isr_msi, irq_msi_count);
IRQ_STUB(isr_tick, irq_tick_count);
IRQ_STUB(isr_other, irq_other_count);
void isr_msi(void);
void isr_tick(void);
void isr_other(void);

static void
idt_set(unsigned vec, void (*fn)(void), uint16_t cs)
{
    uint64_t a = (uint64_t) (uintptr_t) fn;

    idt[vec] = (struct idt_gate) {
        .off_lo = (uint16_t) a, .sel = cs, .type = 0x8e,   /* int gate */
        .off_mid = (uint16_t) (a >> 16), .off_hi = (uint32_t) (a >> 32),
    };
}

static void
lapic_write(unsigned reg, uint32_t v)
{
    *(volatile uint32_t *) (uintptr_t) (LAPIC_BASE + reg) = v;
}

void
irq_init(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr;
    uint16_t cs;

    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    for (unsigned v = 0; v < 256; v++) {
        idt_set(v, isr_other, cs);
    }
    idt_set(IRQ_VECTOR_MSI, isr_msi, cs);
    idt_set(IRQ_VECTOR_TICK, isr_tick, cs);
    idtr.limit = sizeof idt - 1;
    idtr.base = (uint64_t) (uintptr_t) idt;
    __asm__ volatile("lidt %0" : : "m"(idtr));
    outb(0x21, 0xff);                        /* mask both PICs */
    outb(0xa1, 0xff);
    lapic_write(LAPIC_SVR, 0x100 | 0xff);    /* enable, spurious 0xff */
    lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | IRQ_VECTOR_TICK);
    lapic_write(LAPIC_TIMER_INIT, TIMER_COUNT);
}

/* Sleeps until the next interrupt unless 'ready' already holds.  The
 * check runs with interrupts off and STI's one-instruction shadow covers
 * the HLT, so an interrupt between the check and the HLT still wakes it. */
void
irq_wait(bool (*ready)(void))
{
    __asm__ volatile("cli");
    if (!ready()) {
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
    __asm__ volatile("sti" ::: "memory");
}
