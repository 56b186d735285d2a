/* The shortest of "%.15g", "%.16g", "%.17g" that reads back as the same double: the text the
 * connectors give a float64 cell. Most values are done with exact 128-bit integer arithmetic
 * (correct rounding, ties to even, the round-trip test done on the integers); values whose
 * scaled forms do not fit in 128 bits, zeros, subnormals, NaN and infinities take the snprintf +
 * strtod loop. Written by hand because no Debian C library offers it, and glibc's printf costs
 * ~3,000 instructions a value here (its multi-precision path), the bulk of extracting a
 * double column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/util.h"

__extension__ typedef unsigned __int128 u128; /* GCC and Clang on 64-bit targets */

#define DTOA_MAX_A ((u128)1 << 124) /* room to double and compare without overflow */
#define DTOA_MAX_B ((u128)1 << 70)  /* 4 * m * (B - r) stays below 2^128 */

static u128 dtoa_pow10(int k)
{
    u128 p = 1;
    while (k-- > 0)
        p *= 10;
    return p;
}

/* a * b into *out unless it would reach limit. */
static bool dtoa_mul(u128 a, u128 b, u128 limit, u128 *out)
{
    u128 r;
    if (__builtin_mul_overflow(a, b, &r) || r >= limit)
        return false;
    *out = r;
    return true;
}

/* |d| = m * 2^e scaled by 10^s as the fraction a / b; false when a or b does not fit. */
static bool dtoa_scale(uint64_t m, int e, int s, u128 *a, u128 *b)
{
    if (e > 70 || e < -70 || s > 38 || s < -38)
        return false;
    u128 num = m, den = 1;
    if (e > 0 && !dtoa_mul(num, (u128)1 << e, DTOA_MAX_A, &num))
        return false;
    if (e < 0)
        den = (u128)1 << -e;
    if (s > 0 && !dtoa_mul(num, dtoa_pow10(s), DTOA_MAX_A, &num))
        return false;
    if (s < 0 && !dtoa_mul(den, dtoa_pow10(-s), DTOA_MAX_B, &den))
        return false;
    if (den >= DTOA_MAX_B)
        return false;
    *a = num;
    *b = den;
    return true;
}

/* %.{p}g of the p-digit decimal digits * 10^(x - p + 1) (sign apart): fixed notation when
 * p > x >= -4, else d.ddde+XX; trailing zeros of the fraction and a bare point dropped. */
static int dtoa_render(char *buf, bool neg, uint64_t digits, int p, int x)
{
    char dg[20];
    for (int i = p - 1; i >= 0; i--, digits /= 10)
        dg[i] = (char)('0' + digits % 10);
    int nd = p;
    while (nd > 1 && dg[nd - 1] == '0')
        nd--;
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (x < p && x >= -4) {
        if (x < 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -x - 1; i++)
                *o++ = '0';
            memcpy(o, dg, (size_t)nd);
            o += nd;
        } else {
            memcpy(o, dg, (size_t)x + 1);
            o += x + 1;
            if (nd > x + 1) {
                *o++ = '.';
                memcpy(o, dg + x + 1, (size_t)(nd - x - 1));
                o += nd - x - 1;
            }
        }
    } else {
        *o++ = dg[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dg + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        *o++ = 'e';
        *o++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax >= 100)
            *o++ = (char)('0' + ax / 100);
        *o++ = (char)('0' + ax / 10 % 10);
        *o++ = (char)('0' + ax % 10);
    }
    *o = '\0';
    return (int)(o - buf);
}

/* The integer fast path; false when the value is outside it. */
static bool dtoa_fast(char *buf, double d, int *len)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    int be = (int)((bits >> 52) & 0x7ff);
    if (be == 0 || be == 0x7ff) /* zero, subnormal, inf, nan */
        return false;
    uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    int e = be - 1075;
    bool neg = bits >> 63;
    int x0 = (int)floor(log10(fabs(d))); /* checked below: may be one off */
    for (int p = 15; p <= 17; p++) {
        u128 a, b, q, r, lo = dtoa_pow10(p - 1), hi = lo * 10;
        for (int tries = 0;; tries++) {
            if (tries > 2 || !dtoa_scale(m, e, p - 1 - x0, &a, &b))
                return false;
            q = a / b;
            if (q >= hi)
                x0++;
            else if (q < lo)
                x0--;
            else
                break;
        }
        r = a - q * b;
        /* round half to even, as printf does */
        bool up = 2 * r > b || (2 * r == b && (q & 1));
        u128 n = q + up, diff = up ? b - r : r;
        /* the candidate reads back as d when it is nearer to d than to either neighbour
         * (half an ulp = a / (2 m b) in these units; a quarter below a power of two) and on
         * a tie when m is even */
        u128 k = (m == (UINT64_C(1) << 52) && !up && r != 0) ? 4 : 2;
        u128 lhs = k * (u128)m * diff;
        bool back = lhs < a || (lhs == a && !(m & 1));
        if (back || p == 17) {
            int x = x0;
            if (n == hi) { /* 9.99... rounded up to 10.0... */
                n = lo;
                x++;
            }
            *len = dtoa_render(buf, neg, (uint64_t)n, p, x);
            return true;
        }
    }
    return false;
}

int arus_format_double(char *buf, size_t n, double d)
{
    int len;
    if (n >= 32 && dtoa_fast(buf, d, &len))
        return len;
    for (int p = 15; p < 17; p++) {
        len = snprintf(buf, n, "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            return len;
    }
    return snprintf(buf, n, "%.17g", d);
}
