/* Read-ahead for a `COPY ... TO STDOUT` stream: a thread keeps reading rows from the server
 * into a bounded queue while the engine is busy loading the previous batch, so the source
 * server never waits for the destination. Memory is bounded by the queue's limits. */
#ifndef ARUS_PG_READER_H
#define ARUS_PG_READER_H

#include <libpq-fe.h>
#include <stddef.h>

#include "arus/error.h"

struct arus__pg_reader;

/* Start reading conn, which must be in the COPY OUT state. At most max_lines rows and about
 * max_bytes bytes are queued (a single larger row is still let through). `what` prefixes
 * errors ("extract \"t\""). The connection belongs to the reader until arus__pg_reader_stop. */
struct arus__pg_reader *arus__pg_reader_start(PGconn *conn, size_t max_lines, size_t max_bytes,
                                              const char *what);

/* Next row: returns 1 with *line / *len set (one COPY text row with its newline; caller frees
 * with PQfreemem), 0 at the end of the stream, or a negative ARUS_E code with err filled when
 * the COPY failed. */
int arus__pg_reader_next(struct arus__pg_reader *r, char **line, int *len,
                         struct arus_error *err);

/* Stop (cancelling the COPY on the server if it is still running), wait for the thread, leave
 * the connection idle and free r. NULL is a no-op. */
void arus__pg_reader_stop(struct arus__pg_reader *r);

#endif
