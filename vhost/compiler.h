/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_COMPILER_H
#define RSW_COMPILER_H 1

/* Small compiler helpers shared by every module. */

#define RSW_MUST_CHECK __attribute__((warn_unused_result))
#define RSW_UNUSED __attribute__((unused))
/* For the few hot helpers the compiler would otherwise call per packet. */
#define RSW_ALWAYS_INLINE inline __attribute__((always_inline))
#define RSW_LIKELY(x) __builtin_expect(!!(x), 1)
#define RSW_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RSW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RSW_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Memory ordering for rings shared with another CPU (virtio 1.1 §2.6.13:
 * the driver and device communicate through shared memory, so stores must
 * become visible in the order the spec prescribes). */
#define rsw_smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define rsw_smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define rsw_smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* A single read of guest-shared memory: the compiler may neither repeat nor
 * split it, so a value checked is the value used. */
#define RSW_READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define RSW_WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#endif
