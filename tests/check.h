/* Minimal unit-test harness: CHECK(...) records a failure and continues; REQUIRE(...) stops the
 * test function. RUN(fn) runs one test; check_exit() prints the summary and returns the exit
 * status for main. */
#ifndef ARUS_CHECK_H
#define ARUS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_tests;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

#define REQUIRE(cond)                                                                \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond);\
            check_failures++;                                                        \
            return;                                                                  \
        }                                                                            \
    } while (0)

#define CHECK_STR(a, b)                                                              \
    do {                                                                             \
        const char *check_a_ = (a), *check_b_ = (b);                                 \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {             \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s == %s\n  got:      \"%s\"\n"  \
                            "  expected: \"%s\"\n",                                  \
                    __FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",      \
                    check_b_ ? check_b_ : "(null)");                                 \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

#define CHECK_INT(a, b)                                                              \
    do {                                                                             \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);              \
        if (check_a_ != check_b_) {                                                  \
            fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %s (%lld != %lld)\n",     \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);                 \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

#define RUN(fn)                                                                      \
    do {                                                                             \
        int check_before_ = check_failures;                                          \
        check_tests++;                                                               \
        fn();                                                                        \
        fprintf(stderr, "%s %s\n", check_failures == check_before_ ? "ok  " : "FAIL", #fn); \
    } while (0)

static inline int check_exit(void)
{
    fprintf(stderr, "%d tests, %d failures\n", check_tests, check_failures);
    return check_failures ? 1 : 0;
}

#endif
