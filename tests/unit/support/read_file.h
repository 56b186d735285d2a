/* Reading a whole file into memory, for the tests and test tools that load captured fixtures
 * (tests/unit/mysql/test_my_binlog.c, tests/tools/my_binlog_tool.c). */
#ifndef ARUS_TEST_READ_FILE_H
#define ARUS_TEST_READ_FILE_H

#include <stddef.h>

/* The bytes of the file at path, NUL-terminated, length in *len; "" for an empty file, NULL
 * when it cannot be opened. The caller frees it. */
char *test_read_file(const char *path, size_t *len);

#endif
