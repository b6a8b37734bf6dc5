/* SPDX-License-Identifier: Apache-2.0 */
#include "vlog.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static rsw_log_sink_fn *log_sink;
static void *log_sink_aux;
static enum rsw_log_level log_level = RSW_LOG_INFO;

void
rsw_log_set_sink(rsw_log_sink_fn *sink, void *aux)
{
    pthread_mutex_lock(&log_mutex);
    log_sink = sink;
    log_sink_aux = aux;
    pthread_mutex_unlock(&log_mutex);
}

void
rsw_log_set_level(enum rsw_log_level level)
{
    __atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

enum rsw_log_level
rsw_log_get_level(void)
{
    return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

const char *
rsw_log_level_name(enum rsw_log_level level)
{
    switch (level) {
    case RSW_LOG_ERR:
        return "ERR";
    case RSW_LOG_WARN:
        return "WARN";
    case RSW_LOG_INFO:
        return "INFO";
    case RSW_LOG_DBG:
        return "DBG";
    }
    return "?";
}

static void log_emit(enum rsw_log_level, uint32_t suppressed, const char *fmt,
                     va_list) RSW_PRINTF(3, 0);

static void
log_emit(enum rsw_log_level level, uint32_t suppressed, const char *fmt,
         va_list args)
{
    char line[512];
    int n = vsnprintf(line, sizeof line, fmt, args);

    if (n >= 0 && suppressed && (size_t) n < sizeof line) {
        snprintf(line + n, sizeof line - n, " (%u similar suppressed)",
                 (unsigned) suppressed);
    }
    pthread_mutex_lock(&log_mutex);
    if (log_sink) {
        log_sink(level, line, log_sink_aux);
    } else {
        fprintf(stderr, "rsw|%s|%s\n", rsw_log_level_name(level), line);
    }
    pthread_mutex_unlock(&log_mutex);
}

void
rsw_log(enum rsw_log_level level, const char *fmt, ...)
{
    va_list args;

    if (level > rsw_log_get_level()) {
        return;
    }
    va_start(args, fmt);
    log_emit(level, 0, fmt, args);
    va_end(args);
}

static uint64_t
monotonic_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

bool
rsw_log_rl_allow(struct rsw_log_rl *rl, unsigned per_sec,
                 uint32_t *suppressed)
{
    uint64_t now = monotonic_sec();
    bool allow;

    /* One lock for all sites: rate-limited lines are rare by design, and a
     * lock keeps the counters exact when several threads share a site. */
    pthread_mutex_lock(&log_mutex);
    if (rl->window != now) {
        rl->window = now;
        rl->count = 0;
    }
    allow = rl->count < per_sec;
    if (allow) {
        rl->count++;
        *suppressed = rl->suppressed;
        rl->suppressed = 0;
    } else {
        rl->suppressed++;
        *suppressed = 0;
    }
    pthread_mutex_unlock(&log_mutex);
    return allow;
}

void
rsw_log_rl(struct rsw_log_rl *rl, enum rsw_log_level level,
           const char *fmt, ...)
{
    uint32_t suppressed;
    va_list args;

    if (level > rsw_log_get_level()
        || !rsw_log_rl_allow(rl, RSW_LOG_RL_PER_SEC, &suppressed)) {
        return;
    }
    va_start(args, fmt);
    log_emit(level, suppressed, fmt, args);
    va_end(args);
}
