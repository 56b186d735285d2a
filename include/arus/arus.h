/* libarus umbrella header: everything a host program needs to load a config, register its own
 * connectors and run pipelines. */
#ifndef ARUS_ARUS_H
#define ARUS_ARUS_H

#include "arus/arena.h"
#include "arus/config.h"
#include "arus/destination.h"
#include "arus/error.h"
#include "arus/log.h"
#include "arus/registry.h"
#include "arus/source.h"
#include "arus/state.h"
#include "arus/strbuf.h"
#include "arus/sync.h"
#include "arus/types.h"
#include "arus/util.h"
#include "arus/verify.h"

#define ARUS_VERSION "0.1.0"

#endif
