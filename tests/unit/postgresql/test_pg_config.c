/* PostgreSQL endpoint settings without a server: bad values fail at create with file:line,
 * and a refused connection (nothing listens on port 1) yields the one-line message that names
 * endpoint and host:port, taken from the keys or from the URL, never the password. Skips when
 * the connector is not built. */
#include <string.h>

#include "arus/arus.h"
#include "check.h"

static struct arus_config *load(const char *yaml)
{
    struct arus_config *cfg = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    if (arus_config_load_string("t.yml", yaml, strlen(yaml), &cfg, &err) != ARUS_OK)
        fprintf(stderr, "config: %s\n", err.msg);
    return cfg;
}

/* Create and connect source "pg" of the YAML; returns the first failure's code with err. */
static int try_connect(const char *yaml, struct arus_error *err)
{
    struct arus_config *cfg = load(yaml);
    struct arus_source *src = NULL;
    arus_error_clear(err);
    if (!cfg)
        return ARUS_ECONFIG;
    int rc = arus_source_create(arus_config_source(cfg, "pg"), &src, err);
    if (rc == ARUS_OK)
        rc = arus_source_connect(src, err);
    arus_source_close(src);
    arus_config_destroy(cfg);
    return rc;
}

static void test_refused_with_keys(void)
{
    struct arus_error err;
    int rc = try_connect("sources:\n  pg: {type: postgresql, host: 127.0.0.1, port: 1,\n"
                         "    username: u, password: hunter2secret, database: d,\n"
                         "    connect_timeout: 2}\n",
                         &err);
    CHECK_INT(rc, ARUS_ECONNECT);
    CHECK(strncmp(err.msg, "connect to \"pg\" at 127.0.0.1:1: ", 32) == 0);
    CHECK(strstr(err.msg, "hunter2secret") == NULL);
    CHECK(strchr(err.msg, '\n') == NULL);
}

static void test_refused_with_url(void)
{
    struct arus_error err;
    int rc = try_connect("sources:\n  pg: {type: postgresql,\n"
                         "    url: \"postgresql://u:hunter2secret@127.0.0.1:1/d\"}\n",
                         &err);
    CHECK_INT(rc, ARUS_ECONNECT);
    CHECK(strncmp(err.msg, "connect to \"pg\" at 127.0.0.1:1: ", 32) == 0);
    CHECK(strstr(err.msg, "hunter2secret") == NULL);
}

static void test_bad_values(void)
{
    struct arus_error err;
    CHECK_INT(try_connect("sources:\n  pg: {type: postgresql, port: 70000}\n", &err), ARUS_ECONFIG);
    CHECK(strstr(err.msg, "t.yml:2") != NULL);
    CHECK(strstr(err.msg, "port") != NULL);
    CHECK_INT(try_connect("sources:\n  pg: {type: postgresql, statement_timeout: soon}\n", &err),
              ARUS_ECONFIG);
    CHECK(strstr(err.msg, "statement_timeout") != NULL);
    CHECK_INT(try_connect("sources:\n  pg: {type: postgresql, schema_include: {a: b}}\n", &err),
              ARUS_ECONFIG);
    CHECK(strstr(err.msg, "schema_include") != NULL);
    CHECK_INT(try_connect("sources:\n  pg: {type: postgresql,\n    usrname: arus}\n", &err),
              ARUS_ECONFIG);
    CHECK(strstr(err.msg, "t.yml:3") != NULL);
    CHECK(strstr(err.msg, "usrname: unknown key (known: url, host,") != NULL);
    CHECK(strstr(err.msg, "schema, schema_include)") != NULL);
}

int main(void)
{
    if (!arus_registry_source("postgresql")) {
        fprintf(stderr, "postgresql connector not built: skipped\n");
        return 0;
    }
    RUN(test_refused_with_keys);
    RUN(test_refused_with_url);
    RUN(test_bad_values);
    return check_exit();
}
