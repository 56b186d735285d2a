/* libFuzzer target for the value and type parsers: timestamps (must round-trip through
 * format/parse), native type strings of every source through every destination's type map,
 * JSON quoting (output must be valid UTF-8), decimal/integer checks, watermark ordering
 * (antisymmetric) and DSN redaction (the password never survives). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arus.h"
#include "connectors/clickhouse/typemap.h"
#include "connectors/mysql/typemap.h"
#include "connectors/postgresql/typemap.h"
#include "connectors/sqlite/typemap.h"
#include "core/sync_internal.h"

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void fuzz_timestamp(const char *s, size_t n)
{
    int64_t us, again;
    if (!arus_parse_timestamp(s, n, &us))
        return;
    char buf[48];
    arus_format_timestamp(us, buf, sizeof buf);
    /* Offsets can push a value outside years 1..9999; those need not round-trip. */
    if (buf[0] == '-' || strlen(buf) > 26)
        return;
    check(arus_parse_timestamp(buf, strlen(buf), &again) && again == us);
}

static void fuzz_types(const char *s)
{
    struct arus_type t;
    void (*from[])(const char *, struct arus_type *) = {
        arus__pg_type_from_native, arus__my_type_from_native, arus__sqlite_type_from_native};
    for (size_t i = 0; i < sizeof from / sizeof *from; i++) {
        from[i](s, &t);
        check((unsigned)t.ltype < ARUS_T__COUNT);
        struct arus_strbuf sb;
        arus_strbuf_init(&sb);
        arus__pg_type_to_native(&t, &sb);
        arus__my_type_to_native(&t, &sb);
        arus__sqlite_type_to_native(&t, &sb);
        arus__ch_type_to_native(&t, true, true, &sb);
        arus__ch_type_to_native(&t, false, false, &sb);
        arus_strbuf_cleanup(&sb);
    }
}

static void fuzz_text(const char *s, size_t n)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_json_quote(&sb, s, n);
    check(arus_utf8_valid(sb.data, sb.len));
    arus_strbuf_cleanup(&sb);
    if (arus_is_integer_text(s, n))
        check(arus_is_decimal_text(s, n));
    size_t half = n / 2;
    int a = arus__cell_compare(ARUS_T_INT64, s, half, s + half, n - half);
    int b = arus__cell_compare(ARUS_T_INT64, s + half, n - half, s, half);
    check((a > 0) == (b < 0) && (a == 0) == (b == 0));
    /* A URL's password never survives redaction (checked when the input holds the password
     * once, as the user-info of a URL; text outside URLs is not redaction's business). */
    char *r = arus_redact(s);
    const char *pw = strstr(s, "://u:SECRETPW@");
    if (pw && strstr(s, "SECRETPW") == pw + 5 && !strstr(pw + 6, "SECRETPW"))
        check(strstr(r, "SECRETPW") == NULL);
    free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0:
        fuzz_timestamp(s, n);
        break;
    case 1:
        fuzz_types(s); /* stops at the first NUL: type strings are C strings */
        break;
    default:
        fuzz_text(s, n);
        break;
    }
    free(s);
    return 0;
}
