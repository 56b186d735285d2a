/* COPY ... WITH (FORMAT binary) encoding of arus's canonical cell text (include/arus/types.h).
 * The server then stores typed values without parsing text (timestamps, numerics, uuids are
 * most of a text COPY's server CPU). Only the strict canonical forms are encoded here;
 * anything else makes the caller send its batch as text, so the server judges unusual values
 * exactly as before. */
#ifndef ARUS_PG_COPYBIN_H
#define ARUS_PG_COPYBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/types.h"

struct arus_strbuf;

/* Whether a column of logical type t can be sent in binary to a destination column whose type
 * OID (pg_attribute.atttypid) is typid: true only when both sides agree on the wire format. */
bool arus__pg_bin_fits(const struct arus_type *t, uint32_t typid);
/* Append the binary COPY signature, flags and header extension (an empty one). */
void arus__pg_bin_header(struct arus_strbuf *sb);
/* Append the field count that opens a row. */
void arus__pg_bin_row(struct arus_strbuf *sb, int fields);
/* Append the end-of-data marker. */
void arus__pg_bin_trailer(struct arus_strbuf *sb);
/* Text the server stores without complaint in a UTF-8 database: no NUL, well-formed UTF-8
 * (the sequences pg_utf8_islegal accepts). */
bool arus__pg_text_ok(const char *s, size_t n);
/* Append one field: a NULL cell (p == NULL) as length -1, else the value of canonical text
 * p[0..n) of logical type t. Returns false, leaving sb partly written, when the text is not in
 * the strict form encoded here (a NUL byte, invalid UTF-8, NaN, out of range, ...): the caller
 * then encodes the batch as COPY text instead. */
bool arus__pg_bin_cell(struct arus_strbuf *sb, const struct arus_type *t, const char *p, size_t n);

#endif
