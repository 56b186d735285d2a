/* Whole-file reading for tests and test tools (read_file.h). */
#include "read_file.h"

#include <stdio.h>

#include "arus/arena.h"
#include "arus/strbuf.h"

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        arus_strbuf_append(&sb, buf, n);
    fclose(f);
    *len = sb.len;
    return sb.data ? arus_strbuf_detach(&sb) : arus_xstrdup("");
}
