/* Coordination across arus serve processes: not built yet (serve.coordination is refused). */
#include "serve/lease.h"

#include "arus/arus.h"

int serve_lease_create(const struct arus_config *cfg, const char *endpoint, double lease_seconds,
                       struct serve_lease **out, struct arus_error *err)
{
    (void)cfg;
    (void)lease_seconds;
    *out = NULL;
    return arus_error_set(err, ARUS_ECONFIG, "serve.coordination (\"%s\") is not supported yet",
                          endpoint);
}

void serve_lease_destroy(struct serve_lease *l) { (void)l; }

bool serve_lease_acquire(struct serve_lease *l, const struct serve_run *run, struct arus_error *err)
{
    (void)l;
    (void)run;
    (void)err;
    return true;
}

void serve_lease_release(struct serve_lease *l, const struct serve_run *run)
{
    (void)l;
    (void)run;
}

void serve_lease_take_over(struct serve_lease *l, struct serve *s)
{
    (void)l;
    (void)s;
}
