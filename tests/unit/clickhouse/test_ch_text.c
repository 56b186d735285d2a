/* The ClickHouse destination's server-free text helpers: TabSeparated escaping and splitting,
 * per-type value rules (booleans, NaN/Infinity, Date range, Decimal NaN, NULL in key columns),
 * string-literal quoting, exception detection in 200 bodies, version parsing. */
#include <string.h>

#include "arus/strbuf.h"
#include "connectors/clickhouse/text.h"

#include "check.h"

static struct arus_strbuf out;

static const char *esc(const char *p, size_t n)
{
    arus_strbuf_reset(&out);
    arus__ch_tsv_escape(&out, p, n);
    return arus_strbuf_cstr(&out);
}

static void test_tsv_escape(void)
{
    CHECK_STR(esc("plain", 5), "plain");
    CHECK_STR(esc("a\tb\nc\\d\re", 9), "a\\tb\\nc\\\\d\\re");
    CHECK_STR(esc("x\0y", 3), "x\\0y");
    CHECK_STR(esc("\\N", 2), "\\\\N"); /* the text \N is not NULL */
    /* the eight-bytes-at-a-time path against byte-by-byte escaping: every length up to 40,
     * special bytes at every position, among bytes just above and below them and UTF-8 */
    static const char alphabet[] = {'a', '\t', '\n', '\r', '\0', '\\', 8, 11, 12, 14, 31, 'N',
                                    '[', ']', (char)0xc3, (char)0xbc, (char)0xff, (char)0x80};
    char in[40], want[81];
    unsigned seed = 7;
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)round % 41, k = 0;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (seed >> 16) % 4 ? 'x' : alphabet[(seed >> 8) % sizeof alphabet];
        }
        for (size_t i = 0; i < n; i++) {
            const char *from = "\t\n\r\\", *to = "tnr\\";
            const char *hit = in[i] ? strchr(from, in[i]) : NULL;
            if (in[i] == '\0' || hit) {
                want[k++] = '\\';
                want[k++] = in[i] == '\0' ? '0' : to[hit - from];
            } else {
                want[k++] = in[i];
            }
        }
        esc(in, n);
        CHECK(out.len == k && memcmp(out.data, want, k) == 0);
    }
}

static void test_tsv_split(void)
{
    char buf[] = "a\\tb\t\\N\tc\\\\\nsecond\t\n";
    char *pos = buf, *end = buf + sizeof buf - 1;
    char *f[4];
    CHECK_INT(arus__ch_tsv_split_row(&pos, end, f, 4), 3);
    CHECK_STR(f[0], "a\tb");
    CHECK(f[1] == NULL);
    CHECK_STR(f[2], "c\\");
    CHECK_INT(arus__ch_tsv_split_row(&pos, end, f, 4), 2);
    CHECK_STR(f[0], "second");
    CHECK_STR(f[1], "");
    CHECK_INT(arus__ch_tsv_split_row(&pos, end, f, 4), 0);
}

static const char *cell_s(enum arus_ltype lt, int scale, const char *ch_type, const char *v,
                          const char **why)
{
    struct arus_type t = {.ltype = lt, .scale = scale};
    struct ch_value_spec vs;
    arus__ch_value_spec_init(&vs, &t, ch_type);
    struct arus_cell c = {v, v ? strlen(v) : 0};
    arus_strbuf_reset(&out);
    *why = NULL;
    if (!arus__ch_tsv_cell(&out, &vs, &c, why))
        return "<rejected>";
    return arus_strbuf_cstr(&out);
}

static const char *cell(enum arus_ltype lt, const char *ch_type, const char *v, const char **why)
{
    return cell_s(lt, 2, ch_type, v, why);
}

static void test_decimal_exact(void)
{
    const char *why;
    /* Zeros beyond the scale go; anything else would change the value and is refused. */
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 4, "Decimal(12, 4)", "12345678.123400000", &why),
              "12345678.1234");
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 4, "Decimal(12, 4)", "1.23455", &why), "<rejected>");
    CHECK(why && strstr(why, "fraction digits"));
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 2, "Decimal(12, 2)", "-9.995", &why), "<rejected>");
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 0, "Decimal(12, 0)", "7.0", &why), "7");
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 3, "Decimal(12, 3)", "5.1", &why), "5.1");
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 3, "Decimal(12, 3)", "42", &why), "42");
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 3, "Decimal(12, 3)", "-0.5", &why), "-0.5");
    /* P - S = 9 integer digits at most. */
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 3, "Decimal(12, 3)", "-999999999.999", &why),
              "-999999999.999");
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 3, "Decimal(12, 3)", "1000000000", &why), "<rejected>");
    CHECK(why && strstr(why, "integer digits"));
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 0, "Nullable(Decimal(38, 0))",
                     "10000000000000000000000000000000000000", &why),
              "10000000000000000000000000000000000000");
    CHECK_STR(cell_s(ARUS_T_DECIMAL, 0, "Decimal(38, 0)", "100000000000000000000000000000000000000",
                     &why),
              "<rejected>");
}

static void test_values(void)
{
    const char *why;
    CHECK_STR(cell(ARUS_T_BOOL, "UInt8", "true", &why), "1");
    CHECK_STR(cell(ARUS_T_BOOL, "Nullable(UInt8)", "false", &why), "0");
    CHECK_STR(cell(ARUS_T_BOOL, "UInt8", "yes", &why), "<rejected>");
    CHECK_STR(cell(ARUS_T_FLOAT64, "Float64", "NaN", &why), "nan");
    CHECK_STR(cell(ARUS_T_FLOAT64, "Float64", "Infinity", &why), "inf");
    CHECK_STR(cell(ARUS_T_FLOAT32, "Float32", "-Infinity", &why), "-inf");
    CHECK_STR(cell(ARUS_T_FLOAT64, "Float64", "1.5e-300", &why), "1.5e-300");
    CHECK_STR(cell(ARUS_T_DECIMAL, "Decimal(10, 2)", "-12.50", &why), "-12.50");
    CHECK_STR(cell(ARUS_T_DECIMAL, "Decimal(10, 2)", "NaN", &why), "<rejected>");
    CHECK(why && strstr(why, "NaN"));
    CHECK_STR(cell(ARUS_T_DECIMAL, "String", "NaN", &why), "NaN");
    CHECK_STR(cell(ARUS_T_DATE, "Date", "2105-12-31", &why), "2105-12-31");
    CHECK_STR(cell(ARUS_T_DATE, "Date", "1970-01-01", &why), "1970-01-01");
    CHECK_STR(cell(ARUS_T_DATE, "Nullable(Date)", "1969-12-31", &why), "<rejected>");
    CHECK(why && strstr(why, "1970-01-01..2105-12-31"));
    CHECK_STR(cell(ARUS_T_DATE, "Date", "2106-01-01", &why), "<rejected>");
    CHECK_STR(cell(ARUS_T_TIMESTAMP, "String", "0001-01-01 00:00:00", &why), "0001-01-01 00:00:00");
    CHECK_STR(cell(ARUS_T_TIMESTAMP, "DateTime64(6, 'UTC')", "1900-01-01 00:00:00", &why),
              "<rejected>");
    CHECK_STR(cell(ARUS_T_STRING, "Nullable(String)", NULL, &why), "\\N");
    CHECK_STR(cell(ARUS_T_INT64, "Int64", NULL, &why), "<rejected>");
    CHECK_STR(cell(ARUS_T_STRING, "String", "tab\there", &why), "tab\\there");
}

static void test_quote_string(void)
{
    arus_strbuf_reset(&out);
    arus__ch_quote_string(&out, "it's a \\ test");
    CHECK_STR(arus_strbuf_cstr(&out), "'it\\'s a \\\\ test'");
    arus_strbuf_reset(&out);
    arus__ch_quote_string(&out, "x' OR 1=1 --");
    CHECK_STR(arus_strbuf_cstr(&out), "'x\\' OR 1=1 --'");
    arus_strbuf_reset(&out);
    arus__ch_quote_ident(&out, "we\"ird\\name");
    CHECK_STR(arus_strbuf_cstr(&out), "\"we\"\"ird\\\\name\"");
}

static void test_exception(void)
{
    const char *line;
    size_t n;
    const char *b1 = "1\n2\nCode: 395, e.displayText() = DB::Exception: Value passed to 'throwIf' "
                     "function is non zero, e.what() = DB::Exception\n";
    REQUIRE(arus__ch_find_exception(b1, strlen(b1), &line, &n));
    CHECK(strncmp(line, "Code: 395, e.displayText() = DB::Exception: Value passed", 55) == 0);
    CHECK(line[n - 1] == 'o'); /* "... non zero", without ", e.what() = ..." */
    const char *b2 = "Code: 60. DB::Exception: Table x.y does not exist. (UNKNOWN_TABLE)\n";
    REQUIRE(arus__ch_find_exception(b2, strlen(b2), &line, &n));
    CHECK_INT(n, strlen(b2) - 1);
    const char *b3 = "abc\tCode: 1, e.displayText() = in data\nCode: x\nCode: 12 words\n";
    CHECK(!arus__ch_find_exception(b3, strlen(b3), &line, &n));
    CHECK(!arus__ch_find_exception("", 0, &line, &n));
}

static void test_version(void)
{
    int ma = 0, mi = 0;
    CHECK(arus__ch_parse_version("18.16.1\n", &ma, &mi));
    CHECK_INT(ma, 18);
    CHECK_INT(mi, 16);
    CHECK(arus__ch_parse_version("23.8.2.7", &ma, &mi));
    CHECK_INT(ma, 23);
    CHECK(!arus__ch_parse_version("Code: 1", &ma, &mi));
    CHECK(!arus__ch_parse_version("", &ma, &mi));
}

int main(void)
{
    arus_strbuf_init(&out);
    RUN(test_tsv_escape);
    RUN(test_tsv_split);
    RUN(test_values);
    RUN(test_decimal_exact);
    RUN(test_quote_string);
    RUN(test_exception);
    RUN(test_version);
    arus_strbuf_cleanup(&out);
    return check_exit();
}
