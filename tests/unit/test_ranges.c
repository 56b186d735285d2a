/* Split loads' key ranges (src/core/ranges.c): even cuts of an integer key span, spans smaller
 * than the ranges wanted, the whole int64 range, and the bounds text a range's state row keeps
 * read back. */
#include <stdint.h>
#include <stdlib.h>

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
    char buf[64];
    char *lo = NULL, *hi = NULL;
    arus__range_bounds_format(buf, sizeof buf, NULL, "26");
    CHECK_STR(buf, "- 26");
    REQUIRE(arus__range_bounds_parse(buf, &lo, &hi));
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
}

int main(void)
{
    RUN(test_even_cuts);
    RUN(test_small_spans);
    RUN(test_whole_int64_range);
    RUN(test_bounds_text);
    return check_exit();
}
