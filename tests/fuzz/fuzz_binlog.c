/* libFuzzer target for the MySQL/MariaDB binlog decoder: the input is a run of raw events
 * (as my_binlog_tool capture writes them), decoded without checksums so that mutated bytes
 * reach the TABLE_MAP and row-image parsers. Must never crash or read out of bounds. Seeds:
 * tests/fuzz/corpus/binlog/ (events of tests/unit/mysql/fixtures/binlog_types.bin). */
#include <stddef.h>
#include <stdint.h>

#include "arus/arena.h"
#include "arus/error.h"
#include "connectors/mysql/binlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char colls[] = "8 latin1\n33 utf8mb3\n35 ucs2\n45 utf8mb4\n51 cp1251\n"
                                "28 gbk\n60 utf32\n";
    struct arus_arena *keep = arus_arena_create(0), *a = arus_arena_create(0);
    struct my_collations coll;
    struct my_stream s;
    struct arus_error err;
    arus__my_collations_parse(colls, sizeof colls - 1, keep, &coll, &err);
    arus__my_stream_init(&s, false, &coll, NULL, NULL);
    for (size_t off = 0; off + MY_BINLOG_HEADER_LEN <= size;) {
        size_t n = (size_t)arus__my_le(data + off + 9, 4);
        if (n < MY_BINLOG_HEADER_LEN || n > size - off)
            break;
        /* a FORMAT_DESCRIPTION must not switch checksums on: mutations would all fail it */
        if (data[off + 4] != MY_EV_FORMAT_DESCRIPTION &&
            arus__my_stream_feed(&s, data + off, n, &err) == ARUS_OK) {
            struct my_change c;
            while (arus__my_stream_next(&s, a, &c, &err) > 0)
                ;
        }
        arus_arena_reset(a);
        off += n;
    }
    arus__my_stream_cleanup(&s);
    arus_arena_destroy(a);
    arus_arena_destroy(keep);
    return 0;
}
