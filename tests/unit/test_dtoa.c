/* arus_format_double against its definition: the first of "%.15g", "%.16g", "%.17g" that strtod
 * reads back as the value, on random bit patterns, decimal-looking values, exact ties, powers of
 * two and ten and their neighbours, and the values the fast path hands to snprintf. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arus.h"
#include "check.h"

static int dtoa_failures;

static void reference(char *buf, size_t n, double d)
{
    for (int p = 15; p < 17; p++) {
        snprintf(buf, n, "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            return;
    }
    snprintf(buf, n, "%.17g", d);
}

static void same(double d)
{
    char got[40], want[40];
    int len = arus_format_double(got, sizeof got, d);
    reference(want, sizeof want, d);
    if ((strcmp(got, want) != 0 || len != (int)strlen(want)) && dtoa_failures++ < 10)
        fprintf(stderr, "format_double(%a): got \"%s\", want \"%s\"\n", d, got, want);
    CHECK(strcmp(got, want) == 0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_random_bits(void)
{
    for (int i = 0; i < 200000; i++) {
        uint64_t b = rng();
        double d;
        memcpy(&d, &b, sizeof d);
        if (isfinite(d))
            same(d);
    }
}

static void test_decimal_looking(void)
{
    for (long i = 1; i < 100000; i++) {
        same((double)i / 3);
        same((double)i / 100);
        same(-(double)i / 7);
        same((double)i * 1.1);
        same((double)(i % 100000) / 100.0);
        same((double)i / 1e9);
    }
    for (int e = -30; e <= 30; e++) {
        double p = pow(10, e);
        same(p);
        same(nextafter(p, 0));
        same(nextafter(p, INFINITY));
        same(9.5 * p);
        same(0.99999999999999994 * p);
    }
}

static void test_ties_and_edges(void)
{
    /* above 2^50 the ulp is a quarter or a half: 17-digit values ending in 5 tie at 16 digits */
    for (long long i = 0; i < 100000; i++) {
        same(1234567890123456.5 + (double)i);
        same(4503599627370495.5 - (double)i);
        same(123456789012345.25 + (double)i);
    }
    for (int e = -80; e <= 80; e++) {
        double p = ldexp(1.0, e);
        same(p);
        same(nextafter(p, 0));
        same(nextafter(p, INFINITY));
        same(-p);
    }
    const double odd[] = {0.0,
                          -0.0,
                          1.0,
                          -1.0,
                          0.1,
                          0.2,
                          0.3,
                          1e15,
                          1e16,
                          1e17,
                          9007199254740993.0,
                          DBL_MAX,
                          DBL_MIN,
                          -DBL_MIN,
                          DBL_TRUE_MIN,
                          5e-324,
                          1e-5,
                          1e-4,
                          0.0001234,
                          123456789012345678.0,
                          2.5,
                          1e21,
                          1e22,
                          1e23,
                          0.3333333333333333};
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
        same(odd[i]);
    char buf[8];
    CHECK(arus_format_double(buf, sizeof buf, 0.5) == 3); /* small buffers: the snprintf path */
    CHECK_STR(buf, "0.5");
}

int main(void)
{
    RUN(test_random_bits);
    RUN(test_decimal_looking);
    RUN(test_ties_and_edges);
    return check_exit();
}
