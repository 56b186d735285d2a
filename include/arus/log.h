/* Leveled logging to stderr. The CLI sets the level from -v/-q or ARUS_LOG_LEVEL.
 * Library code returns errors instead of logging them; logging is for progress and notices. */
#ifndef ARUS_LOG_H
#define ARUS_LOG_H

enum arus_log_level {
    ARUS_LOG_ERROR = 0,
    ARUS_LOG_WARN = 1,
    ARUS_LOG_INFO = 2,
    ARUS_LOG_DEBUG = 3,
    ARUS_LOG_TRACE = 4,
};

void arus_log_set_level(enum arus_log_level level);
/* The level lines are formatted at on the calling thread: the process level, or the level of
 * the thread's sink when that is higher. */
enum arus_log_level arus_log_get_level(void);

/* A per-thread log sink: receives every line logged on the calling thread at `level` or more
 * important (as formatted for stderr, without the newline), in addition to stderr, which still
 * gets only lines at the process level. `arus serve` keeps each run's lines this way. fn NULL
 * removes the sink. ctx is borrowed until the sink is removed. */
typedef void (*arus_log_sink_fn)(void *ctx, const char *line);
void arus_log_set_thread_sink(arus_log_sink_fn fn, void *ctx, enum arus_log_level level);
/* Parse "error|warn|info|debug|trace"; returns -1 if unknown. */
int arus_log_level_parse(const char *s);

/* How lines look: text "TIME LEVEL [component] message" (the default), or one JSON object per
 * line for log shippers: {"time":"...","level":"warn","component":"sync","message":"..."}. */
enum arus_log_format { ARUS_LOG_FORMAT_TEXT = 0, ARUS_LOG_FORMAT_JSON = 1 };
void arus_log_set_format(enum arus_log_format format);
enum arus_log_format arus_log_get_format(void);
/* Parse "text|json"; returns -1 if unknown. */
int arus_log_format_parse(const char *s);

#define arus_log(level, component, ...)                                                 \
    do {                                                                                \
        if ((int)(level) <= (int)arus_log_get_level())                                  \
            arus__log_write((level), (component), __VA_ARGS__);                         \
    } while (0)

void arus__log_write(enum arus_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy of a DSN/URL with any password replaced by "***" (user:pass@ and password=... forms).
 * Caller frees with free(). */
char *arus_redact(const char *dsn);

#endif
