/* Growable, always NUL-terminated byte buffer with a size cap, used to build SQL, JSON,
 * COPY/TSV payloads. Bytes may contain NUL (len is authoritative). */
#ifndef ARUS_STRBUF_H
#define ARUS_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct arus_strbuf {
    char *data;   /* NUL-terminated; NULL until first append */
    size_t len;
    size_t cap;
    size_t max;   /* 0 = no cap; otherwise appends past max abort the process (a programmer bug) */
};

void arus_strbuf_init(struct arus_strbuf *sb);
void arus_strbuf_cleanup(struct arus_strbuf *sb);
void arus_strbuf_reset(struct arus_strbuf *sb);           /* len = 0, keeps memory */
void arus_strbuf_reserve(struct arus_strbuf *sb, size_t extra);
void arus_strbuf_append(struct arus_strbuf *sb, const void *p, size_t n);
void arus_strbuf_puts(struct arus_strbuf *sb, const char *s);
void arus_strbuf_putc(struct arus_strbuf *sb, char c);
void arus_strbuf_appendf(struct arus_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Returns "" for a never-used buffer, never NULL. */
const char *arus_strbuf_cstr(const struct arus_strbuf *sb);
/* Hands the heap buffer to the caller (free with free()); sb is re-initialised. */
char *arus_strbuf_detach(struct arus_strbuf *sb);

/* SQL identifier quoting. quote is '"' (ANSI: PostgreSQL, SQLite, ClickHouse) or '`' (MySQL).
 * The quote character inside the name is doubled. ClickHouse also needs backslashes doubled:
 * pass escape_backslash=true there. */
void arus_sql_quote_ident(struct arus_strbuf *sb, const char *name, char quote,
                          bool escape_backslash);

/* JSON string literal (with quotes) for n bytes of s; invalid UTF-8 bytes become U+FFFD,
 * control characters and NUL are \u-escaped. */
void arus_json_quote(struct arus_strbuf *sb, const char *s, size_t n);

#endif
