/* The web console's files (src/serve/console/), embedded at build time by cmake/embed.cmake. */
#ifndef ARUS_SERVE_ASSETS_H
#define ARUS_SERVE_ASSETS_H

#include <stddef.h>

struct serve_asset {
    const char *name; /* file name, e.g. "app.js" */
    const unsigned char *data;
    size_t size;
};

/* Every embedded file, ended by an entry with a NULL name. */
extern const struct serve_asset serve_assets[];

#endif
