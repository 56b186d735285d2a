/* Growable byte buffer plus the two escapers every connector needs: SQL identifier quoting and
 * JSON string quoting (with invalid UTF-8 replaced, never passed through). */
#include "arus/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"

void arus_strbuf_init(struct arus_strbuf *sb)
{
    memset(sb, 0, sizeof *sb);
}

void arus_strbuf_cleanup(struct arus_strbuf *sb)
{
    free(sb->data);
    memset(sb, 0, sizeof *sb);
}

void arus_strbuf_reset(struct arus_strbuf *sb)
{
    sb->len = 0;
    if (sb->data)
        sb->data[0] = '\0';
}

void arus_strbuf_reserve(struct arus_strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (sb->max && need > sb->max + 1) {
        fprintf(stderr, "arus: string buffer exceeds its cap of %zu bytes\n", sb->max);
        abort();
    }
    if (need <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    sb->data = arus_xrealloc(sb->data, cap);
    sb->cap = cap;
}

void arus_strbuf_append(struct arus_strbuf *sb, const void *p, size_t n)
{
    arus_strbuf_reserve(sb, n);
    if (n)
        memcpy(sb->data + sb->len, p, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void arus_strbuf_puts(struct arus_strbuf *sb, const char *s)
{
    arus_strbuf_append(sb, s, strlen(s));
}

void arus_strbuf_putc(struct arus_strbuf *sb, char c)
{
    arus_strbuf_reserve(sb, 1);
    sb->data[sb->len++] = c;
    sb->data[sb->len] = '\0';
}

void arus_strbuf_appendf(struct arus_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        arus_strbuf_append(sb, small, (size_t)n);
        return;
    }
    arus_strbuf_reserve(sb, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

const char *arus_strbuf_cstr(const struct arus_strbuf *sb)
{
    return sb->data ? sb->data : "";
}

char *arus_strbuf_detach(struct arus_strbuf *sb)
{
    char *p = sb->data ? sb->data : arus_xstrdup("");
    arus_strbuf_init(sb);
    return p;
}

void arus_sql_quote_ident(struct arus_strbuf *sb, const char *name, char quote,
                          bool escape_backslash)
{
    arus_strbuf_putc(sb, quote);
    for (const char *p = name; *p; p++) {
        if (*p == quote || (escape_backslash && *p == '\\'))
            arus_strbuf_putc(sb, *p == '\\' ? '\\' : quote);
        arus_strbuf_putc(sb, *p);
    }
    arus_strbuf_putc(sb, quote);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. Rejects overlongs,
 * surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned cp;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

bool arus_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

void arus_json_quote(struct arus_strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    arus_strbuf_reserve(sb, n + 2);
    arus_strbuf_putc(sb, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            size_t j = i + 1;
            while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\')
                j++;
            arus_strbuf_append(sb, p + i, j - i);
            i = j;
            continue;
        }
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            arus_strbuf_append(sb, esc, 2);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': arus_strbuf_puts(sb, "\\n"); break;
            case '\r': arus_strbuf_puts(sb, "\\r"); break;
            case '\t': arus_strbuf_puts(sb, "\\t"); break;
            default: {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                arus_strbuf_append(sb, esc, 6);
            }
            }
            i++;
        } else {
            size_t k = utf8_seq(p + i, n - i);
            if (k) {
                arus_strbuf_append(sb, p + i, k);
                i += k;
            } else {
                arus_strbuf_puts(sb, "\xEF\xBF\xBD"); /* U+FFFD */
                i++;
            }
        }
    }
    arus_strbuf_putc(sb, '"');
}
