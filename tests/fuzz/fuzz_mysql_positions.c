/* libFuzzer target for the MySQL pieces that read untrusted bytes outside the event framing:
 * binary JSON values (json_binary.c), PREVIOUS_GTIDS bodies and GTID set / position texts
 * (gtid_set.c, position.c). The first byte picks the parser; must never crash or read out of
 * bounds. Seeds: tests/fuzz/corpus/mysql_positions/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arus/error.h"
#include "arus/strbuf.h"
#include "connectors/mysql/cdc.h"
#include "connectors/mysql/position.h"
#include "connectors/mysql/rowimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    struct arus_error err;
    struct arus_strbuf sb;
    struct my_gtid_set s = {0};
    arus_strbuf_init(&sb);
    switch (data[0] % 3) {
    case 0: /* a copy of exactly n bytes, so reads past the value are caught */
    {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, p, n);
        arus__my_json_binary_text(copy, n, &sb, &err);
        free(copy);
        break;
    }
    case 1:
        arus__my_previous_gtids_decode(p, n, &s, &err);
        arus__my_gtid_set_format(&s, &sb);
        break;
    default: { /* two position texts split at the first NUL */
        char *t = malloc(n + 2);
        memcpy(t, p, n);
        t[n] = t[n + 1] = '\0';
        const char *b = t + strlen(t) + (strlen(t) < n ? 1 : 0);
        if (arus__my_gtid_set_parse(t, &s, &err) == ARUS_OK)
            arus__my_gtid_set_format(&s, &sb);
        arus__my_cdc_position_cmp(t, b);
        free(t);
        break;
    }
    }
    arus__my_gtid_set_cleanup(&s);
    arus_strbuf_cleanup(&sb);
    return 0;
}
