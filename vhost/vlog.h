/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VLOG_H
#define RSW_VLOG_H 1

/* Minimal leveled logging with per-call-site rate limiting.
 *
 * Input from peers (vhost-user frontends, guests) can make us log at an
 * arbitrary rate, so every message whose trigger is peer-controlled goes
 * through RSW_LOG_RL(): each call site may emit at most RSW_LOG_RL_PER_SEC
 * lines per second; the number suppressed is reported with the next line
 * that gets through.  Output goes to stderr unless a sink is installed. */

#include <stdbool.h>
#include <stdint.h>
#include "compiler.h"

enum rsw_log_level {
    RSW_LOG_ERR,
    RSW_LOG_WARN,
    RSW_LOG_INFO,
    RSW_LOG_DBG,
};

#define RSW_LOG_RL_PER_SEC 10

/* A sink receives one formatted line (no trailing newline). */
typedef void rsw_log_sink_fn(enum rsw_log_level, const char *line, void *aux);

/* NULL restores the default stderr sink. */
void rsw_log_set_sink(rsw_log_sink_fn *, void *aux);
/* Messages above 'level' are dropped before formatting. */
void rsw_log_set_level(enum rsw_log_level);
enum rsw_log_level rsw_log_get_level(void);
const char *rsw_log_level_name(enum rsw_log_level);

void rsw_log(enum rsw_log_level, const char *fmt, ...) RSW_PRINTF(2, 3);

/* Per-call-site token state; zero-initialised static storage is ready. */
struct rsw_log_rl {
    uint64_t window;     /* second (CLOCK_MONOTONIC) the count refers to */
    uint32_t count;      /* lines emitted in 'window' */
    uint32_t suppressed; /* lines dropped since the last emitted one */
};

/* true if the site may log now; *suppressed gets the number of lines
 * dropped since the last allowed one. */
bool rsw_log_rl_allow(struct rsw_log_rl *, unsigned per_sec,
                      uint32_t *suppressed);
void rsw_log_rl(struct rsw_log_rl *, enum rsw_log_level, const char *fmt, ...)
    RSW_PRINTF(3, 4);

#define RSW_LOG(level, ...) rsw_log(level, __VA_ARGS__)
#define RSW_LOG_RL(level, ...)                                  \
    do {                                                        \
        static struct rsw_log_rl rsw_rl__;                      \
        rsw_log_rl(&rsw_rl__, level, __VA_ARGS__);              \
    } while (0)

#endif
