/* Small shared helpers for connectors and core: time text, UUIDs, base64, number checks,
 * and the test-only fault hook. */
#ifndef ARUS_UTIL_H
#define ARUS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/types.h"

struct arus_strbuf;

/* Current UTC time as "YYYY-MM-DD HH:MM:SS.ffffff" (buf >= 32 bytes). */
void arus_now_utc(char *buf, size_t n);
/* Seconds since an arbitrary start (CLOCK_MONOTONIC). */
double arus_monotonic(void);

/* Microseconds since 1970-01-01 00:00:00 UTC <-> canonical "YYYY-MM-DD HH:MM:SS[.ffffff]"
 * (fraction trimmed). Years 1..9999. parse accepts 'T' or ' ' as separator, an optional
 * trailing 'Z' or "+00"/"+00:00"/"-hh:mm" offset (applied), 0-9 fraction digits (rounded
 * down to microseconds). Returns false on malformed input. */
bool arus_parse_timestamp(const char *s, size_t n, int64_t *micros);
void arus_format_timestamp(int64_t micros, char *buf, size_t n);
/* The instant micros (as arus_parse_timestamp counts) as the canonical cell text of a column of
 * logical type t: TIMESTAMP and TIMESTAMPTZ as arus_format_timestamp writes it, DATE the day it
 * falls on. Returns false (buf untouched) for any other type. */
bool arus_time_cell(enum arus_ltype t, int64_t micros, char *buf, size_t n);
/* v as decimal text, exactly what "%lld" prints (or "%llu" of its bits when is_unsigned),
 * NUL-terminated into buf of at least 22 bytes; returns the length. Written by hand: cell
 * formatting calls it for every integer of every row, where snprintf's format parsing costs
 * more than the conversion. */
int arus_format_integer(char *buf, long long v, bool is_unsigned);
/* d as the shortest of "%.15g", "%.16g", "%.17g" that strtod reads back as d (byte for byte
 * what trying them in that order prints), NUL-terminated into buf of n bytes (32 are always
 * enough); returns the length. By hand with integer arithmetic (src/core/dtoa.c): cell
 * formatting calls it for every double of every row. */
int arus_format_double(char *buf, size_t n, double d);
/* Days since 1970-01-01 <-> civil date. */
int64_t arus_days_from_civil(int64_t y, unsigned m, unsigned d);
void arus_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Trim trailing zeros (and a then-empty '.') from the fraction of a canonical time/timestamp
 * in place; returns the new length. */
size_t arus_trim_fraction(char *s, size_t n);

/* Random version-4 UUID, 36 chars + NUL (buf >= 37 bytes). */
void arus_uuid_v4(char *buf);

/* Standard base64 (with padding) of n bytes, appended to sb. */
void arus_base64_append(struct arus_strbuf *sb, const unsigned char *p, size_t n);

/* The value of hex digit c (either case), or -1 when c is not one. */
int arus_hex_value(char c);

/* True if s[0..n) is a decimal integer / a plain exact decimal number (canonical forms). */
bool arus_is_integer_text(const char *s, size_t n);
bool arus_is_decimal_text(const char *s, size_t n);
/* True if n bytes are valid UTF-8. */
bool arus_utf8_valid(const char *s, size_t n);

/* Test-only fault injection. ARUS_FAULT="point:count" makes the count-th call (1-based) of
 * arus_fault(point) return true; the engine then fails or aborts there. In builds without
 * ARUS_FAULT_INJECTION it is always false. ARUS_FAULT_ACTION=abort makes the process
 * _exit(99) at the point instead (simulates a crash without clean-up); ARUS_FAULT_ACTION=sleep:N
 * makes that hit sleep N seconds and go on (a slow step, to signal a process mid-run). */
bool arus_fault(const char *point);

#endif
