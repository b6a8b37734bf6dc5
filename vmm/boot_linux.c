/* SPDX-License-Identifier: Apache-2.0 */
/* Linux bzImage loading, boot protocol 2.x; see boot.h.  Section names
 * refer to Documentation/arch/x86/boot.rst. */
#include "boot.h"

#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_OFFSET 0x1f1             /* setup header in the image/zero page */
#define HDR_MAGIC 0x53726448u        /* "HdrS" */
#define BOOT_FLAG 0xaa55
#define E820_RAM 1
#define E820_RESERVED 2
#define MAX_FILE_SIZE (1ull << 31)

static uint32_t
le_get(const uint8_t *p, unsigned len)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < len; i++) {
        v |= (uint32_t) p[i] << (8 * i);
    }
    return v;
}

/* "THE REAL-MODE KERNEL HEADER": fields at fixed offsets of the file. */
int
bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *bi,
              char *err, size_t errlen)
{
    unsigned sects;

    memset(bi, 0, sizeof *bi);
    if (len < 0x264 || le_get(img + 0x1fe, 2) != BOOT_FLAG
        || le_get(img + 0x202, 4) != HDR_MAGIC) {
        snprintf(err, errlen, "not a bzImage (no boot sector/\"HdrS\" "
                 "setup header)");
        return -EINVAL;
    }
    bi->version = (uint16_t) le_get(img + 0x206, 2);
    bi->loadflags = img[0x211];
    bi->hdr_end = 0x202 + (size_t) img[0x201];
    if (bi->version < BZ_MIN_VERSION) {
        snprintf(err, errlen, "boot protocol %u.%02u is too old: the 64-bit "
                 "entry needs 2.06 or later", bi->version >> 8,
                 bi->version & 0xff);
        return -EINVAL;
    }
    if (!(bi->loadflags & LOADED_HIGH)) {
        snprintf(err, errlen, "zImage (loaded low) is not supported; "
                 "use a bzImage");
        return -EINVAL;
    }
    sects = img[0x1f1] ? img[0x1f1] : 4;  /* "if 0, the real value is 4" */
    bi->setup_size = (sects + 1) * 512ul;
    bi->initrd_addr_max = le_get(img + 0x22c, 4);
    bi->cmdline_size = le_get(img + 0x238, 4);
    bi->xloadflags = (uint16_t) le_get(img + 0x236, 2);
    bi->init_size = le_get(img + 0x260, 4);
    if (bi->version >= 0x020c && !(bi->xloadflags & XLF_KERNEL_64)) {
        snprintf(err, errlen, "kernel has no 64-bit entry point "
                 "(XLF_KERNEL_64 clear): a 32-bit kernel?");
        return -EINVAL;
    }
    if (bi->setup_size >= len || bi->hdr_end > bi->setup_size) {
        snprintf(err, errlen, "truncated bzImage: %zu bytes, setup alone "
                 "is %zu", len, bi->setup_size);
        return -EINVAL;
    }
    bi->kernel_size = len - bi->setup_size;
    if (bi->kernel_size < BZ_ENTRY_64_OFFSET + 16
        || (uint64_t) le_get(img + 0x1f4, 4) * 16 > bi->kernel_size) {
        snprintf(err, errlen, "truncated bzImage: protected-mode kernel has "
                 "%zu bytes, header says %u", bi->kernel_size,
                 le_get(img + 0x1f4, 4) * 16);
        return -EINVAL;
    }
    return 0;
}

static int
e820_add(struct boot_e820_entry *t, unsigned max, unsigned *n, uint64_t addr,
         uint64_t size, uint32_t type)
{
    if (!size) {
        return 0;
    }
    if (*n >= max) {
        return -E2BIG;
    }
    t[*n] = (struct boot_e820_entry) { .addr = addr, .size = size,
                                       .type = type };
    (*n)++;
    return 0;
}

int
e820_build(struct boot_e820_entry *t, unsigned max,
           const struct vm_mem_region *r, unsigned n)
{
    unsigned cnt = 0;
    int err = 0;

    for (unsigned i = 0; i < n && !err; i++) {
        uint64_t start = r[i].gpa, end = r[i].gpa + r[i].size;

        if (start < HIGH_MEM_START) {
            uint64_t low = end < EBDA_START ? end : EBDA_START;
            err = e820_add(t, max, &cnt, start, low - start, E820_RAM);
            if (!err && end > EBDA_START) {
                err = e820_add(t, max, &cnt, EBDA_START,
                               HIGH_MEM_START - EBDA_START, E820_RESERVED);
            }
            start = HIGH_MEM_START;
        }
        if (!err && end > start) {
            err = e820_add(t, max, &cnt, start, end - start, E820_RAM);
        }
    }
    return err ? err : (int) cnt;
}

int
initrd_place(uint64_t size, uint32_t initrd_addr_max, uint64_t low_end,
             uint64_t floor, uint64_t *addr)
{
    uint64_t top = (uint64_t) initrd_addr_max + 1;

    if (top > low_end) {
        top = low_end;
    }
    if (!size || size > top) {
        return -ENOSPC;
    }
    *addr = (top - size) & ~0xfffull;
    return *addr >= floor ? 0 : -ENOSPC;
}

int
boot_params_build(struct boot_params *bp, const uint8_t *img,
                  const struct bzimage_info *bi,
                  const struct boot_params_args *a)
{
    size_t hdr_len = bi->hdr_end - HDR_OFFSET;
    int n;

    memset(bp, 0, sizeof *bp);
    if (hdr_len > sizeof bp->hdr) {
        hdr_len = sizeof bp->hdr;
    }
    /* "the setup header ... should be copied into the zero page". */
    memcpy(&bp->hdr, img + HDR_OFFSET, hdr_len);
    bp->hdr.type_of_loader = 0xff;   /* undefined boot loader */
    bp->hdr.vid_mode = 0xffff;       /* "normal" */
    bp->hdr.code32_start = BZ_LOAD_ADDR;
    bp->hdr.cmd_line_ptr = (uint32_t) a->cmdline_addr;
    bp->ext_cmd_line_ptr = (uint32_t) (a->cmdline_addr >> 32);
    bp->hdr.ramdisk_image = (uint32_t) a->initrd_addr;
    bp->hdr.ramdisk_size = (uint32_t) a->initrd_size;
    bp->ext_ramdisk_image = (uint32_t) (a->initrd_addr >> 32);
    bp->ext_ramdisk_size = (uint32_t) (a->initrd_size >> 32);
    /* Protocol 2.14: read by the kernel before it scans for the RSDP. */
    bp->acpi_rsdp_addr = a->acpi_rsdp_addr;
    n = e820_build(bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE, a->regions,
                   a->n_regions);
    if (n < 0) {
        return n;
    }
    bp->e820_entries = (uint8_t) n;
    return 0;
}

/* ---- Loading from files ---------------------------------------------------- */

static int
read_file(const char *path, uint8_t **buf, size_t *len, char *err,
          size_t errlen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t off = 0;

    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-e));
        if (fd >= 0) {
            close(fd);
        }
        return e;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t) st.st_size > MAX_FILE_SIZE) {
        snprintf(err, errlen, "%s: not a regular file below 2 GiB", path);
        close(fd);
        return -EINVAL;
    }
    *len = (size_t) st.st_size;
    *buf = malloc(*len ? *len : 1);
    while (*buf && off < *len) {
        ssize_t r = read(fd, *buf + off, *len - off);
        if (r <= 0) {
            break;
        }
        off += (size_t) r;
    }
    close(fd);
    if (!*buf || off != *len) {
        snprintf(err, errlen, "%s: read failed", path);
        free(*buf);
        *buf = NULL;
        return -EIO;
    }
    return 0;
}

static uint64_t
low_mem_end(const struct vm_memory *m)
{
    return m->regions[0].gpa + m->regions[0].size;
}

static int
load_initrd(struct vm_memory *m, const char *path, uint64_t floor,
            uint32_t addr_max, struct boot_params_args *a, char *err,
            size_t errlen)
{
    uint8_t *buf;
    size_t len;
    int rc = read_file(path, &buf, &len, err, errlen);

    if (rc) {
        return rc;
    }
    rc = initrd_place(len, addr_max, low_mem_end(m), floor, &a->initrd_addr);
    if (rc) {
        snprintf(err, errlen, "%s: %zu bytes do not fit below the kernel's "
                 "initrd_addr_max %#x with this --mem", path, len, addr_max);
    } else {
        memcpy(vm_gpa_to_hva(m, a->initrd_addr, len), buf, len);
        a->initrd_size = len;
    }
    free(buf);
    return rc;
}

static int
load_kernel(struct vm_memory *m, const uint8_t *img,
            const struct bzimage_info *bi, char *err, size_t errlen)
{
    uint64_t need = bi->init_size > bi->kernel_size ? bi->init_size
                                                    : bi->kernel_size;
    uint8_t *dst = vm_gpa_to_hva(m, BZ_LOAD_ADDR, need);

    if (!dst) {
        snprintf(err, errlen, "--mem too small: the kernel needs %llu MiB "
                 "above 1 MiB to decompress",
                 (unsigned long long) (need >> 20) + 1);
        return -ENOMEM;
    }
    memcpy(dst, img + bi->setup_size, bi->kernel_size);
    return 0;
}

static int
load_cmdline(struct vm_memory *m, const char *cmdline,
             const struct bzimage_info *bi, char *err, size_t errlen)
{
    size_t n = strlen(cmdline);

    /* cmdline_size: "maximum size of the command line without the
     * terminating zero" (2.06+). */
    if (n > bi->cmdline_size || n >= BOOT_CMDLINE_MAX) {
        snprintf(err, errlen, "--cmdline is %zu bytes, the kernel accepts "
                 "%u", n, bi->cmdline_size);
        return -EINVAL;
    }
    memcpy(vm_gpa_to_hva(m, BOOT_CMDLINE_ADDR, n + 1), cmdline, n + 1);
    return 0;
}

/* ---- Uncompressed vmlinux (ELF64) ------------------------------------------ */

/* An x86-64 vmlinux is entered at e_entry (the physical address of
 * startup_64) with the same 64-bit protocol; PT_LOAD segments go to their
 * physical addresses.  Only a setup header is synthesized for it. */
static int
elf_load(struct vm_memory *m, const uint8_t *img, size_t len,
         uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *) img;

    if (len < sizeof *eh || eh->e_ident[EI_CLASS] != ELFCLASS64
        || eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr)
        || eh->e_phoff > len
        || (uint64_t) eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff) {
        snprintf(err, errlen, "not an x86-64 ELF vmlinux");
        return -EINVAL;
    }
    *end = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *) (img + eh->e_phoff) + i;
        uint8_t *dst;

        if (ph->p_type != PT_LOAD) {
            continue;
        }
        dst = vm_gpa_to_hva(m, ph->p_paddr, ph->p_memsz);
        if (!dst || ph->p_filesz > ph->p_memsz || ph->p_offset > len
            || ph->p_filesz > len - ph->p_offset) {
            snprintf(err, errlen, "vmlinux segment %u at %#llx does not fit "
                     "in guest memory (--mem too small?)", i,
                     (unsigned long long) ph->p_paddr);
            return -ENOMEM;
        }
        memcpy(dst, img + ph->p_offset, ph->p_filesz);
        memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
        if (ph->p_paddr + ph->p_memsz > *end) {
            *end = ph->p_paddr + ph->p_memsz;
        }
    }
    *entry = eh->e_entry;
    return 0;
}

/* The setup header fields a kernel entered at startup_64 reads. */
static void
elf_setup_header(uint8_t *img, size_t len, struct bzimage_info *bi)
{
    memset(img, 0, len);
    img[0x1fe] = 0x55;
    img[0x1ff] = 0xaa;
    img[0x201] = 0x6a;                         /* header ends at 0x26c */
    memcpy(img + 0x202, "HdrS", 4);
    img[0x206] = 0x0f;                         /* protocol 2.15 */
    img[0x207] = 0x02;
    img[0x211] = LOADED_HIGH;
    memset(img + 0x22c, 0xff, 3);              /* initrd_addr_max 0x7fffffff */
    img[0x22f] = 0x7f;
    img[0x232] = 0;                            /* kernel_alignment 16 MiB */
    img[0x233] = 0x01;
    img[0x239] = 0x08;                         /* cmdline_size 2048 */
    *bi = (struct bzimage_info) {
        .version = 0x020f, .loadflags = LOADED_HIGH, .hdr_end = 0x26c,
        .initrd_addr_max = 0x7fffffff, .cmdline_size = 2048,
    };
}

static bool
is_elf(const uint8_t *img, size_t len)
{
    return len >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG);
}

/* bzImage or vmlinux: loads the kernel, returns its entry point, the end
 * of the memory it may use, and a setup header in 'hdr_img'. */
static int
load_any_kernel(struct vm_memory *m, const uint8_t *img, size_t len,
                uint8_t *hdr_img, struct bzimage_info *bi, uint64_t *entry,
                uint64_t *end, char *err, size_t errlen)
{
    int rc;

    if (is_elf(img, len)) {
        elf_setup_header(hdr_img, 0x400, bi);
        return elf_load(m, img, len, entry, end, err, errlen);
    }
    rc = bzimage_parse(img, len, bi, err, errlen);
    if (!rc) {
        rc = load_kernel(m, img, bi, err, errlen);
    }
    memcpy(hdr_img, img, 0x400 < len ? 0x400 : len);
    *entry = BZ_LOAD_ADDR + BZ_ENTRY_64_OFFSET;
    *end = BZ_LOAD_ADDR + (bi->init_size > bi->kernel_size ? bi->init_size
                                                           : bi->kernel_size);
    return rc;
}

int
linux_load(struct vm_memory *m, const char *kernel, const char *initrd,
           const char *cmdline, uint64_t acpi_rsdp, struct vcpu_boot *entry,
           char *err, size_t errlen)
{
    struct boot_params_args a = { .cmdline_addr = BOOT_CMDLINE_ADDR,
                                  .regions = m->regions,
                                  .n_regions = m->n_regions,
                                  .acpi_rsdp_addr = acpi_rsdp };
    uint8_t hdr_img[0x400];
    struct bzimage_info bi;
    uint64_t rip = 0, end = 0;
    uint8_t *img;
    size_t len;
    int rc = read_file(kernel, &img, &len, err, errlen);

    if (rc) {
        return rc;
    }
    rc = load_any_kernel(m, img, len, hdr_img, &bi, &rip, &end, err, errlen);
    free(img);
    if (!rc) {
        rc = load_cmdline(m, cmdline ? cmdline : "", &bi, err, errlen);
    }
    if (!rc && initrd) {
        rc = load_initrd(m, initrd, end, bi.initrd_addr_max, &a, err, errlen);
    }
    if (!rc) {
        struct boot_params *bp = vm_gpa_to_hva(m, BOOT_PARAMS_ADDR,
                                               sizeof *bp);
        rc = boot_params_build(bp, hdr_img, &bi, &a);
        if (rc) {
            snprintf(err, errlen, "building the e820 map: %s", strerror(-rc));
        }
    }
    if (!rc) {
        *entry = (struct vcpu_boot) { .rip = rip, .rsp = BOOT_STACK_TOP,
                                      .rsi = BOOT_PARAMS_ADDR };
    }
    return rc;
}
