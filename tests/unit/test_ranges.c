/* Split loads' key ranges (src/core/ranges.c): even cuts of an integer key span, spans smaller
 * than the ranges wanted, the whole int64 range, cuts at a sample's quantiles, and the bounds
 * text a range's state row keeps read back (integers, and keys of any text as JSON), and key
 * tuples as one text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "check.h"
#include "core/sync_internal.h"

static void test_even_cuts(void)
{
    int64_t cuts[8];
    REQUIRE(arus__split_keys(1, 100, 4, cuts) == 4);
    CHECK_INT(cuts[0], 26);
    CHECK_INT(cuts[1], 51);
    CHECK_INT(cuts[2], 76);
    /* 10 keys in 3 ranges: widths 3, 3, 4 */
    REQUIRE(arus__split_keys(0, 9, 3, cuts) == 3);
    CHECK_INT(cuts[0], 3);
    CHECK_INT(cuts[1], 6);
    /* negative keys */
    REQUIRE(arus__split_keys(-50, 49, 2, cuts) == 2);
    CHECK_INT(cuts[0], 0);
}

static void test_small_spans(void)
{
    int64_t cuts[8];
    /* fewer keys than ranges: one range per key */
    REQUIRE(arus__split_keys(5, 7, 8, cuts) == 3);
    CHECK_INT(cuts[0], 6);
    CHECK_INT(cuts[1], 7);
    CHECK_INT(arus__split_keys(5, 5, 8, cuts), 1);
    CHECK_INT(arus__split_keys(9, 5, 8, cuts), 1);
    CHECK_INT(arus__split_keys(1, 100, 1, cuts), 1);
}

static void test_whole_int64_range(void)
{
    int64_t cuts[3];
    REQUIRE(arus__split_keys(INT64_MIN, INT64_MAX - 1, 4, cuts) == 4);
    CHECK(cuts[0] < cuts[1] && cuts[1] < cuts[2]);
    CHECK_INT(cuts[1], -1);
    CHECK(cuts[0] > INT64_MIN && cuts[2] < INT64_MAX);
}

static void test_bounds_text(void)
{
    struct arus_strbuf buf;
    arus_strbuf_init(&buf);
    char *lo = NULL, *hi = NULL;
    arus__range_bounds_format(&buf, NULL, "26");
    CHECK_STR(arus_strbuf_cstr(&buf), "- 26");
    REQUIRE(arus__range_bounds_parse(arus_strbuf_cstr(&buf), &lo, &hi));
    CHECK(lo == NULL);
    CHECK_STR(hi, "26");
    free(hi);
    REQUIRE(arus__range_bounds_parse("-5 -", &lo, &hi));
    CHECK_STR(lo, "-5");
    CHECK(hi == NULL);
    free(lo);
    CHECK(!arus__range_bounds_parse("12", &lo, &hi));
    CHECK(!arus__range_bounds_parse("a 3", &lo, &hi));
    CHECK(!arus__range_bounds_parse("3 4 5", &lo, &hi));
    CHECK(!arus__range_bounds_parse(NULL, &lo, &hi));
    arus_strbuf_cleanup(&buf);
}

/* Keys of any text (spaces, "-", quotes, UTF-8) go as a JSON array and come back the same. */
static void test_bounds_text_keys(void)
{
    static const char *const ends[][2] = {
        {"a b", NULL}, {NULL, "-"}, {"x\"y\\z", "\xc3\xa9t\xc3\xa9"}, {"12", "ab"}};
    struct arus_strbuf buf;
    arus_strbuf_init(&buf);
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        char *lo = NULL, *hi = NULL;
        arus__range_bounds_format(&buf, ends[i][0], ends[i][1]);
        CHECK(buf.data[0] == '[');
        REQUIRE(arus__range_bounds_parse(arus_strbuf_cstr(&buf), &lo, &hi));
        CHECK(ends[i][0] ? lo && strcmp(lo, ends[i][0]) == 0 : lo == NULL);
        CHECK(ends[i][1] ? hi && strcmp(hi, ends[i][1]) == 0 : hi == NULL);
        free(lo);
        free(hi);
    }
    arus__range_bounds_format(&buf, "a", NULL);
    CHECK_STR(arus_strbuf_cstr(&buf), "[\"a\", null]");
    char *lo = NULL, *hi = NULL;
    CHECK(!arus__range_bounds_parse("[\"a\"]", &lo, &hi));
    CHECK(!arus__range_bounds_parse("[1, 2]", &lo, &hi));
    CHECK(!arus__range_bounds_parse("[\"a\", null", &lo, &hi));
    arus_strbuf_cleanup(&buf);
}

/* Cuts at a sorted sample's quantiles: evenly spaced indexes, no repeats, fewer when the
 * sample is small. */
static void test_sample_cuts(void)
{
    size_t at[8];
    REQUIRE(arus_key_cuts_pick(8, 4, at) == 3);
    CHECK(at[0] == 2 && at[1] == 4 && at[2] == 6);
    REQUIRE(arus_key_cuts_pick(2, 8, at) == 2);
    CHECK(at[0] == 0 && at[1] == 1);
    CHECK(arus_key_cuts_pick(0, 8, at) == 0);
    CHECK(arus_key_sample_every(0, 8) == 1);
    CHECK(arus_key_sample_every(8000, 8) == 1);
    CHECK(arus_key_sample_every(10000000, 8) == 1250);
}

/* A key tuple as one text: the value itself for one column, a JSON array for several, and
 * back; a text that is not a tuple of the key's width is refused. */
static void test_key_tuple_text(void)
{
    struct arus_arena *a = arus_arena_create(0);
    struct arus_strbuf t;
    arus_strbuf_init(&t);
    const char *one[] = {"a b"}, *two[] = {"x\"y", "-3"};
    arus__key_tuple_text(&t, one, 1);
    CHECK_STR(arus_strbuf_cstr(&t), "a b");
    const char **v = arus__key_tuple_values(arus_strbuf_cstr(&t), 1, a);
    REQUIRE(v);
    CHECK_STR(v[0], "a b");
    arus__key_tuple_text(&t, two, 2);
    CHECK_STR(arus_strbuf_cstr(&t), "[\"x\\\"y\", \"-3\"]");
    v = arus__key_tuple_values(arus_strbuf_cstr(&t), 2, a);
    REQUIRE(v);
    CHECK_STR(v[0], "x\"y");
    CHECK_STR(v[1], "-3");
    CHECK(!arus__key_tuple_values(arus_strbuf_cstr(&t), 3, a));
    CHECK(!arus__key_tuple_values("[1, 2]", 2, a));
    CHECK(!arus__key_tuple_values("a", 2, a));
    arus_strbuf_cleanup(&t);
    arus_arena_destroy(a);
}

int main(void)
{
    RUN(test_even_cuts);
    RUN(test_small_spans);
    RUN(test_whole_int64_range);
    RUN(test_bounds_text);
    RUN(test_bounds_text_keys);
    RUN(test_sample_cuts);
    RUN(test_key_tuple_text);
    return check_exit();
}
