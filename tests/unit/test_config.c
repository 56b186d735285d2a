/* Config loader: a full valid config (defaults, overrides, globs, interpolation), every error
 * class as a one-line "FILE:LINE: ..." message, the typed accessors, and the warning for a
 * literal password in a file others can read. Fake connectors stand in for real ones. */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arus/arus.h"
#include "check.h"

static const struct arus_source_ops fake_src = {.abi_version = ARUS_SOURCE_ABI, .name = "fakesrc"};
static const struct arus_destination_ops fake_dst = {.abi_version = ARUS_DESTINATION_ABI,
                                                     .name = "fakedst"};

static char fixture_dir[4096];
static char corpus_dir[4096];

static const char *fixture(const char *name)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", fixture_dir, name);
    return path;
}

static struct arus_config *load_str(const char *yaml, struct arus_error *err)
{
    struct arus_config *cfg = NULL;
    arus_error_clear(err);
    int rc = arus_config_load_string("t.yml", yaml, strlen(yaml), &cfg, err);
    CHECK(rc == ARUS_OK ? cfg != NULL : cfg == NULL);
    return cfg;
}

/* The load must fail with ARUS_ECONFIG and a one-line message containing want. */
static void expect_error_str(const char *yaml, const char *want)
{
    struct arus_error err;
    struct arus_config *cfg = load_str(yaml, &err);
    CHECK(cfg == NULL);
    arus_config_destroy(cfg);
    CHECK_INT(err.code, ARUS_ECONFIG);
    CHECK(strchr(err.msg, '\n') == NULL);
    if (!strstr(err.msg, want)) {
        fprintf(stderr, "  message: %s\n  wanted:  %s\n", err.msg, want);
        CHECK(!"error message");
    }
}

static void expect_error_file(const char *name, const char *want)
{
    struct arus_error err;
    struct arus_config *cfg = NULL;
    arus_error_clear(&err);
    CHECK_INT(arus_config_load(fixture(name), &cfg, &err), ARUS_ECONFIG);
    CHECK(cfg == NULL);
    CHECK(strchr(err.msg, '\n') == NULL);
    char full[4300];
    snprintf(full, sizeof full, "%s%s", fixture(name), want);
    if (strncmp(err.msg, full, strlen(full)) != 0) {
        fprintf(stderr, "  message: %s\n  wanted:  %s...\n", err.msg, full);
        CHECK(!"error message");
    }
}

static void test_valid_config(void)
{
    struct arus_config *cfg = NULL;
    struct arus_error err;
    setenv("ARUS_TEST_USER", "alice", 1);
    setenv("ARUS_TEST_PASSWORD", "s3cret", 1);
    arus_error_clear(&err);
    int rc = arus_config_load(fixture("valid.yml"), &cfg, &err);
    if (rc)
        fprintf(stderr, "  %s\n", err.msg);
    REQUIRE(rc == ARUS_OK);
    CHECK_INT(cfg->nsources, 2);
    CHECK_INT(cfg->ndestinations, 1);
    CHECK_INT(cfg->npipelines, 2);

    const struct arus_endpoint *shop = arus_config_source(cfg, "shop");
    REQUIRE(shop != NULL);
    CHECK_STR(shop->type, "fakesrc");
    CHECK(arus_config_source(cfg, "warehouse") == NULL);
    CHECK(arus_config_destination(cfg, "shop") == NULL);
    CHECK_STR(arus_config_destination(cfg, "warehouse")->type, "fakedst");

    /* Interpolation inside longer strings, and the $${ escape. */
    const char *s = NULL;
    CHECK_INT(arus_cfg_str(shop->node, "dsn", &s, &err), ARUS_OK);
    CHECK_STR(s, "postgres://alice@db.example:5432/shop");
    CHECK_INT(arus_cfg_str(shop->node, "password", &s, &err), ARUS_OK);
    CHECK_STR(s, "s3cret");
    CHECK_INT(arus_cfg_str(shop->node, "literal", &s, &err), ARUS_OK);
    CHECK_STR(s, "cost is ${NOT_A_VAR} dollars");
    const struct arus_cfg_node *port = arus_cfg_get(shop->node, "port");
    REQUIRE(port != NULL);
    CHECK_INT(port->line, 9);
    CHECK_STR(port->key, "port");
    CHECK_STR(port->file, fixture("valid.yml"));

    const struct arus_pipeline *p = arus_config_pipeline(cfg, "shop_to_wh");
    REQUIRE(p != NULL);
    CHECK_STR(p->source, "shop");
    CHECK_STR(p->destination, "warehouse");
    REQUIRE(p->ntables == 4);
    CHECK_STR(p->tables[0], "customers");
    CHECK_STR(p->tables[1], "order_*");
    CHECK_STR(p->tables[2], "orders");
    CHECK_STR(p->tables[3], "audit_*");
    CHECK_INT(p->batch_size, 500);
    CHECK_INT(p->parallelism, 3);
    CHECK_INT(p->load_mode, ARUS_LOAD_RAW_AND_NORMALIZED);
    CHECK_STR(p->target_schema, "analytics2");
    CHECK_STR(p->raw_schema, "landing");
    CHECK(p->lookback_seconds == 7200);
    CHECK(!p->commit_horizon);
    CHECK_INT(p->max_dead_letters, 10);
    REQUIRE(p->noverrides == 2);

    /* Exact name wins; "order_*" is a selection glob, not an override. */
    const struct arus_table_override *o = arus_pipeline_override(p, "orders");
    REQUIRE(o != NULL);
    CHECK_STR(o->watermark_column, "changed_at");
    CHECK_STR(o->primary_key, "id,region");
    CHECK_STR(o->sync_mode, "incremental");
    CHECK_STR(o->deleted_at_column, "removed_at");
    CHECK_INT(o->commit_horizon, -1); /* the pipeline's */
    o = arus_pipeline_override(p, "audit_log");
    REQUIRE(o != NULL);
    CHECK_STR(o->name, "audit_*");
    CHECK_STR(o->sync_mode, "full_refresh");
    CHECK_STR(o->primary_key, "a,b");
    CHECK(o->watermark_column == NULL);
    CHECK_INT(o->commit_horizon, 1);
    CHECK(arus_pipeline_override(p, "customers") == NULL);
    CHECK(arus_pipeline_override(p, "order_items") == NULL);

    const struct arus_pipeline *d = arus_config_pipeline(cfg, "crm_defaults");
    REQUIRE(d != NULL);
    REQUIRE(d->ntables == 1);
    CHECK_STR(d->tables[0], "*");
    CHECK_INT(d->noverrides, 0);
    CHECK_INT(d->batch_size, 10000);
    CHECK_INT(d->parallelism, 1);
    CHECK_INT(d->load_mode, ARUS_LOAD_NORMALIZED);
    CHECK(d->target_schema == NULL);
    CHECK(d->raw_schema == NULL);
    CHECK(d->lookback_seconds == 0);
    CHECK(d->commit_horizon); /* on by default */
    CHECK_INT(d->max_dead_letters, 0);

    CHECK(arus_config_pipeline(cfg, "nosuch") == NULL);
    arus_config_destroy(cfg);
}

static void test_error_fixtures(void)
{
    setenv("ARUS_TEST_USER", "alice", 1);
    unsetenv("ARUS_TEST_UNSET_VARIABLE");
    expect_error_file("malformed.yml", ":4: invalid YAML: ");
    expect_error_file("unknown_type.yml",
                      ":3: sources.shop.type: unknown source connector \"nosuchdb\" (known: ");
    expect_error_file("missing_env.yml", ":4: sources.shop.password: environment variable "
                                         "ARUS_TEST_UNSET_VARIABLE is not set");
    expect_error_file("undefined_source.yml",
                      ":5: pipelines.p.source: source \"nosuch\" is not defined under sources");
    expect_error_file("duplicate_key.yml",
                      ":5: sources.shop.host: duplicate key (first at line 4)");
    expect_error_file("unknown_key.yml",
                      ":9: pipelines.p.batchsize: unknown pipeline setting (known: source, ");

    struct arus_error err;
    struct arus_config *cfg = NULL;
    CHECK_INT(arus_config_load("/nonexistent/arus.yml", &cfg, &err), ARUS_ECONFIG);
    CHECK_STR(err.msg, "cannot read config /nonexistent/arus.yml: No such file or directory");
    CHECK_INT(arus_config_load(fixture_dir, &cfg, &err), ARUS_ECONFIG);
    CHECK(strstr(err.msg, "not a regular file") != NULL);
    CHECK(cfg == NULL);
}

static void test_unknown_type_lists_known(void)
{
    expect_error_str("sources:\n  a: {type: nope}\n", "fakesrc");
    expect_error_str("destinations:\n  a:\n    type: fakesrc\n",
                     "t.yml:3: destinations.a.type: unknown destination connector \"fakesrc\" "
                     "(known: ");
    expect_error_str("destinations:\n  a:\n    type: fakesrc\n", "fakedst");
    expect_error_str("sources:\n  a: {path: x}\n", "t.yml:2: sources.a.type is required");
    /* commit_horizon is a boolean, for the pipeline and per table */
    static const char head[] = "sources:\n  a: {type: fakesrc}\ndestinations:\n"
                               "  b: {type: fakedst}\npipelines:\n";
    char yaml[512];
    snprintf(yaml, sizeof yaml, "%s  p: {source: a, destination: b, commit_horizon: maybe}\n",
             head);
    expect_error_str(yaml, "t.yml:6: pipelines.p.commit_horizon: expected true or false");
    snprintf(yaml, sizeof yaml,
             "%s  p: {source: a, destination: b, tables: [{name: t, commit_horizon: 2}]}\n", head);
    expect_error_str(yaml,
                     "t.yml:6: pipelines.p.tables[0].commit_horizon: expected true or false");
}

static void test_structure_errors(void)
{
    expect_error_str("source:\n  a: {type: fakesrc}\n",
                     "t.yml:1: source: unknown top-level key (expected sources, "
                     "destinations, pipelines or serve)");
    expect_error_str("- a\n- b\n", "t.yml:1: expected a map with sources");
    expect_error_str("sources: [a]\n", "t.yml:1: sources: expected a map of name -> settings");
    expect_error_str("sources:\n  a: 1\n", "t.yml:2: sources.a: expected a map of settings");
    expect_error_str("pipelines:\n  p: x\n", "t.yml:2: pipelines.p: expected a map");
    expect_error_str("sources:\n  a: {type: fakesrc}\n  a: {type: fakesrc}\n",
                     "t.yml:3: sources.a: duplicate key (first at line 2)");
    expect_error_str("sources: {a: {type: fakesrc}}\n---\nsources: {}\n",
                     "t.yml:2: multiple YAML documents are not supported");
    expect_error_str("x: &anchor 1\ny: *anchor\n", "t.yml:2: YAML aliases");
    expect_error_str("? [a, b]\n: 1\n", "t.yml:1: (top level): only scalar keys");
    expect_error_str("sources:\n  a:\n    type: \"fake\\0src\"\n",
                     "t.yml:3: sources.a.type: NUL byte in text");
    expect_error_str("sources: {a: {type: fakesrc}}\nsources: {}\n",
                     "t.yml:2: sources: duplicate key (first at line 1)");
    expect_error_str("sources:\n\ttype: x\n", "t.yml:2: invalid YAML: ");
    expect_error_str("a: \xff\xfe\n", "t.yml:1: invalid YAML: ");
}

static const char endpoints[] = "sources: {s: {type: fakesrc}}\n"
                                "destinations: {d: {type: fakedst}}\n"
                                "pipelines:\n"
                                "  p:\n"
                                "    source: s\n"
                                "    destination: d\n";

/* The endpoints above plus extra pipeline lines (indented under p). */
static void expect_pipeline_error(const char *extra, const char *want)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "%s%s", endpoints, extra);
    expect_error_str(yaml, want);
}

static void test_pipeline_errors(void)
{
    expect_pipeline_error("    batch_size: 0\n",
                          "t.yml:7: pipelines.p.batch_size: expected an integer from 1 to "
                          "10000000");
    expect_pipeline_error("    batch_size: 10000001\n", "pipelines.p.batch_size: expected");
    expect_pipeline_error("    parallelism: 0\n",
                          "t.yml:7: pipelines.p.parallelism: expected an integer from 1 to 64");
    expect_pipeline_error("    parallelism: 65\n", "pipelines.p.parallelism: expected");
    expect_pipeline_error("    batch_size: 12abc\n",
                          "t.yml:7: pipelines.p.batch_size: expected an integer");
    expect_pipeline_error("    load_mode: both\n",
                          "t.yml:7: pipelines.p.load_mode: expected normalized, raw or "
                          "raw+normalized");
    expect_pipeline_error("    lookback: 5 minutes\n", "t.yml:7: pipelines.p.lookback: expected");
    expect_pipeline_error("    max_dead_letters: -1\n", "pipelines.p.max_dead_letters: expected");
    expect_pipeline_error("    tables: orders\n", "t.yml:7: pipelines.p.tables: expected a");
    expect_pipeline_error("    tables: []\n", "t.yml:7: pipelines.p.tables: expected a");
    expect_pipeline_error("    tables:\n      - a\n      - [b]\n",
                          "t.yml:9: pipelines.p.tables[1]: expected a table name");
    expect_pipeline_error("    tables:\n      - {name: a, sync_mode: fast}\n",
                          "t.yml:8: pipelines.p.tables[0].sync_mode: expected incremental, "
                          "full_refresh or cdc");
    expect_pipeline_error("    sync_mode: log\n", "t.yml:7: pipelines.p.sync_mode: expected "
                                                "incremental, full_refresh or cdc");
    expect_pipeline_error("    cdc: {slots: x}\n",
                          "t.yml:7: pipelines.p.cdc.slots: unknown cdc setting (known: slot, ");
    expect_pipeline_error("    cdc: {max_latency: 0}\n",
                          "t.yml:7: pipelines.p.cdc.max_latency: expected a duration above 0");
    expect_pipeline_error("    cdc: {position: lsn}\n",
                          "t.yml:7: pipelines.p.cdc.position: expected gtid or file");
    expect_pipeline_error("    tables:\n      - {watermark_column: x}\n",
                          "t.yml:8: pipelines.p.tables[0].name is required");
    expect_pipeline_error("    tables:\n      - name: a\n        watermark: x\n",
                          "t.yml:9: pipelines.p.tables[0].watermark: unknown table setting");
    expect_pipeline_error("    tables:\n      - {name: a, primary_key: [id, {x: 1}]}\n",
                          "t.yml:8: pipelines.p.tables[0].primary_key: expected");
    expect_pipeline_error("    target_schema: \"\"\n",
                          "t.yml:7: pipelines.p.target_schema: must not be empty");
    expect_error_str("sources: {s: {type: fakesrc}}\npipelines:\n  p:\n    source: s\n"
                     "    destination: nowhere\n",
                     "t.yml:5: pipelines.p.destination: destination \"nowhere\" is not defined "
                     "under destinations");
    expect_error_str("sources: {s: {type: fakesrc}}\npipelines:\n  p:\n    source: s\n",
                     "t.yml:3: pipelines.p.destination is required");
    expect_error_str("pipelines:\n  p:\n    source: [s]\n",
                     "t.yml:3: pipelines.p.source: expected a string");
}

static void test_interpolation(void)
{
    struct arus_error err;
    setenv("ARUS_TEST_A", "x", 1);
    setenv("ARUS_TEST_EMPTY", "", 1);
    struct arus_config *cfg = load_str(
        "sources:\n  s:\n    type: fakesrc\n    a: \"${ARUS_TEST_A}${ARUS_TEST_A}-$$\"\n"
        "    b: \"${ARUS_TEST_EMPTY}\"\n    c: \"$${ARUS_TEST_A} $ {x} $$ ${ARUS_TEST_A}\"\n"
        "    d: |\n      line ${ARUS_TEST_A}\n",
        &err);
    REQUIRE(cfg != NULL);
    const struct arus_cfg_node *s = cfg->sources[0].node;
    CHECK_STR(arus_cfg_get(s, "a")->scalar, "xx-$$");
    CHECK_STR(arus_cfg_get(s, "b")->scalar, "");
    CHECK_STR(arus_cfg_get(s, "c")->scalar, "${ARUS_TEST_A} $ {x} $$ x");
    CHECK_STR(arus_cfg_get(s, "d")->scalar, "line x\n");
    arus_config_destroy(cfg);

    /* Keys of connector sections are interpolated too; type is just the first. */
    unsetenv("ARUS_TEST_NOPE");
    expect_error_str("sources:\n  s:\n    type: fakesrc\n    host: \"h-${ARUS_TEST_NOPE}\"\n",
                     "t.yml:4: sources.s.host: environment variable ARUS_TEST_NOPE is not set");
    expect_error_str("sources:\n  s:\n    type: fakesrc\n    hosts: [a, \"${ARUS_TEST_NOPE}\"]\n",
                     "t.yml:4: sources.s.hosts[1]: environment variable ARUS_TEST_NOPE");
    expect_error_str("sources:\n  s:\n    type: fakesrc\n    host: \"${ARUS_TEST_A\"\n",
                     "t.yml:4: sources.s.host: malformed ${...} reference");
    expect_error_str("sources:\n  s:\n    type: fakesrc\n    host: \"${}\"\n",
                     "t.yml:4: sources.s.host: malformed");
    expect_error_str("sources:\n  s:\n    type: fakesrc\n    host: \"${1A}\"\n",
                     "t.yml:4: sources.s.host: malformed");

    /* An interpolated value never appears in a message, even when it makes the value bad. */
    setenv("ARUS_TEST_SECRET", "hunter2", 1);
    struct arus_error e2;
    CHECK(load_str(
              "sources:\n  s: {type: fakesrc}\ndestinations:\n  d: {type: fakedst}\n"
              "pipelines:\n  p: {source: s, destination: d, batch_size: \"${ARUS_TEST_SECRET}\"}\n",
              &e2) == NULL);
    CHECK(strstr(e2.msg, "t.yml:6: pipelines.p.batch_size: expected") == e2.msg);
    CHECK(strstr(e2.msg, "hunter2") == NULL);
    /* Nor where a value is normally quoted back (connector type, endpoint reference). */
    expect_error_str("sources:\n  s: {type: \"x${ARUS_TEST_SECRET}\"}\n",
                     "t.yml:2: sources.s.type: unknown source connector \"<value from ${...} "
                     "not shown>\" (known: ");
    CHECK(load_str("sources:\n  s: {type: \"${ARUS_TEST_SECRET}\"}\n", &e2) == NULL);
    CHECK(strstr(e2.msg, "hunter2") == NULL);
    CHECK(load_str("destinations:\n  d: {type: fakedst}\npipelines:\n  p:\n"
                   "    source: ${ARUS_TEST_SECRET}\n    destination: d\n",
                   &e2) == NULL);
    CHECK(strstr(e2.msg, "t.yml:5: pipelines.p.source: source \"<value from") == e2.msg);
    CHECK(strstr(e2.msg, "hunter2") == NULL);
}

static void test_accessors(void)
{
    struct arus_error err;
    struct arus_config *cfg =
        load_str("sources:\n  s:\n    type: fakesrc\n    n: -42\n    big: 9223372036854775808\n"
                 "    sp: \" 7\"\n    t: Yes\n    f: off\n    maybe: perhaps\n    d1: 30\n"
                 "    d2: 1.5m\n    d3: 1d\n    d4: 10x\n    d5: nan\n    d6: inf\n    m: {a: 1}\n",
                 &err);
    REQUIRE(cfg != NULL);
    const struct arus_cfg_node *s = cfg->sources[0].node;
    int64_t i = 7;
    CHECK_INT(arus_cfg_int(s, "absent", &i, &err), ARUS_OK);
    CHECK_INT(i, 7);
    CHECK_INT(arus_cfg_int(s, "n", &i, &err), ARUS_OK);
    CHECK_INT(i, -42);
    CHECK_INT(arus_cfg_int(s, "big", &i, &err), ARUS_ECONFIG);
    CHECK_STR(err.msg, "t.yml:5: big: expected an integer");
    CHECK_INT(arus_cfg_int(s, "sp", &i, &err), ARUS_ECONFIG);
    CHECK_INT(arus_cfg_int(s, "m", &i, &err), ARUS_ECONFIG);
    CHECK_STR(err.msg, "t.yml:16: m: expected an integer");
    CHECK_INT(i, -42);

    bool b = false;
    CHECK_INT(arus_cfg_bool(s, "t", &b, &err), ARUS_OK);
    CHECK(b);
    CHECK_INT(arus_cfg_bool(s, "f", &b, &err), ARUS_OK);
    CHECK(!b);
    CHECK_INT(arus_cfg_bool(s, "maybe", &b, &err), ARUS_ECONFIG);
    CHECK_STR(err.msg, "t.yml:9: maybe: expected true or false");

    double d = -1;
    CHECK_INT(arus_cfg_seconds(s, "d1", &d, &err), ARUS_OK);
    CHECK(d == 30);
    CHECK_INT(arus_cfg_seconds(s, "d2", &d, &err), ARUS_OK);
    CHECK(d == 90);
    CHECK_INT(arus_cfg_seconds(s, "d3", &d, &err), ARUS_OK);
    CHECK(d == 86400);
    CHECK_INT(arus_cfg_seconds(s, "d4", &d, &err), ARUS_ECONFIG);
    CHECK(strncmp(err.msg, "t.yml:13: d4: expected a duration", 33) == 0);
    CHECK_INT(arus_cfg_seconds(s, "d5", &d, &err), ARUS_ECONFIG);
    CHECK_INT(arus_cfg_seconds(s, "d6", &d, &err), ARUS_ECONFIG);
    CHECK(d == 86400);

    const char *str = "default";
    CHECK_INT(arus_cfg_str(s, "absent", &str, &err), ARUS_OK);
    CHECK_STR(str, "default");
    CHECK_INT(arus_cfg_str(s, "m", &str, &err), ARUS_ECONFIG);
    CHECK_STR(err.msg, "t.yml:16: m: expected a string");
    CHECK_INT(arus_cfg_require_str(s, "host", &str, &err), ARUS_ECONFIG);
    CHECK_STR(err.msg, "t.yml:2: host is required");
    CHECK_INT(arus_cfg_fail(arus_cfg_get(s, "n"), "n", &err, "must be positive"), ARUS_ECONFIG);
    CHECK_STR(err.msg, "t.yml:4: n: must be positive");

    CHECK(arus_cfg_get(arus_cfg_get(s, "n"), "x") == NULL);
    CHECK(arus_cfg_get(NULL, "x") == NULL);
    arus_config_destroy(cfg);
}

static void test_glob(void)
{
    CHECK(arus_glob_match("*", "orders"));
    CHECK(arus_glob_match("order?", "orders"));
    CHECK(arus_glob_match("ord[a-z]rs", "orders"));
    CHECK(!arus_glob_match("order_*", "orders"));
    CHECK(arus_glob_match("orders", "orders"));
    CHECK(!arus_glob_match("Orders", "orders"));
}

static void test_empty_config(void)
{
    struct arus_error err;
    struct arus_config *cfg = load_str("# nothing yet\n", &err);
    REQUIRE(cfg != NULL);
    CHECK(cfg->root == NULL);
    CHECK_INT(cfg->npipelines, 0);
    CHECK(arus_config_pipeline(cfg, "p") == NULL);
    CHECK(arus_config_source(cfg, "s") == NULL);
    arus_config_destroy(cfg);
    cfg = load_str("sources: {}\ndestinations: {}\npipelines: {}\n", &err);
    REQUIRE(cfg != NULL);
    arus_config_destroy(cfg);
}

/* Hostile sizes stay cheap: 100k keys in one map (duplicates are found by sorting, not by
 * comparing every pair), and nesting is capped. */
static void test_hostile_sizes(void)
{
    enum { NKEYS = 100000 };
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "sources:\n  s:\n    type: fakesrc\n");
    for (int i = 0; i < NKEYS; i++)
        arus_strbuf_appendf(&sb, "    k%d: %d\n", i, i);
    struct arus_error err;
    double t0 = arus_monotonic();
    struct arus_config *cfg = NULL;
    CHECK_INT(arus_config_load_string("t.yml", sb.data, sb.len, &cfg, &err), ARUS_OK);
    CHECK(arus_monotonic() - t0 < 5.0);
    REQUIRE(cfg != NULL);
    CHECK_INT(cfg->sources[0].node->nchildren, NKEYS + 1);
    CHECK_STR(arus_cfg_get(cfg->sources[0].node, "k99999")->scalar, "99999");
    arus_config_destroy(cfg);

    arus_strbuf_puts(&sb, "    k5: again\n    k7: again\n");
    t0 = arus_monotonic();
    CHECK_INT(arus_config_load_string("t.yml", sb.data, sb.len, &cfg, &err), ARUS_ECONFIG);
    CHECK(arus_monotonic() - t0 < 5.0);
    CHECK_STR(err.msg, "t.yml:100004: sources.s.k5: duplicate key (first at line 9)");
    arus_strbuf_cleanup(&sb);

    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';
    expect_error_str(deep, "t.yml:1: nesting deeper than 64 levels");
    deep[64] = '1';
    memmove(deep + 65, deep + 66, 65);
    struct arus_config *ok = load_str(deep, &err);
    CHECK(ok == NULL); /* 64 levels parse; the top level is then not a map */
    CHECK(strstr(err.msg, "expected a map") != NULL);
}

/* Load path with stderr captured; returns what arus_log wrote. */
static char *load_capturing_stderr(const char *path)
{
    static char buf[4096];
    char cap[] = "/tmp/arus-test-config-err.XXXXXX";
    int fd = mkstemp(cap);
    int saved = dup(2);
    fflush(stderr);
    dup2(fd, 2);
    struct arus_config *cfg = NULL;
    struct arus_error err;
    int rc = arus_config_load(path, &cfg, &err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CHECK_INT(rc, ARUS_OK);
    arus_config_destroy(cfg);
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(cap);
    return buf;
}

static void test_literal_password_warning(void)
{
    char path[] = "/tmp/arus-test-config.XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    static const char yaml[] = "sources:\n  s:\n    type: fakesrc\n    password: hunter2\n"
                               "    other: ${ARUS_TEST_A}\n";
    REQUIRE(write(fd, yaml, sizeof yaml - 1) == (ssize_t)(sizeof yaml - 1));
    close(fd);
    setenv("ARUS_TEST_A", "x", 1);
    arus_log_set_level(ARUS_LOG_WARN);

    chmod(path, 0644);
    const char *out = load_capturing_stderr(path);
    CHECK(strstr(out, path) != NULL);
    CHECK(strstr(out, "sources.s.password") != NULL);
    CHECK(strstr(out, "hunter2") == NULL);

    chmod(path, 0600);
    CHECK_STR(load_capturing_stderr(path), "");

    /* Interpolated passwords are fine whatever the mode. */
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("sources:\n  s:\n    type: fakesrc\n    password: ${ARUS_TEST_A}\n", f);
    fclose(f);
    chmod(path, 0644);
    CHECK_STR(load_capturing_stderr(path), "");
    unlink(path);
}

/* Every fuzz corpus input (crash reproducers included: drop them in the corpus) loads or fails
 * with one ARUS_ECONFIG line, here under the normal ASan+UBSan unit build. */
static void test_fuzz_corpus_replay(void)
{
    DIR *d = opendir(corpus_dir);
    REQUIRE(d != NULL);
    size_t files = 0;
    static char buf[1 << 16];
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", corpus_dir, e->d_name);
        FILE *f = fopen(path, "rb");
        REQUIRE(f != NULL);
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        struct arus_config *cfg = NULL;
        struct arus_error err;
        arus_error_clear(&err);
        int rc = arus_config_load_string(e->d_name, buf, n, &cfg, &err);
        CHECK(rc == ARUS_OK || (rc == ARUS_ECONFIG && err.msg[0] && !strchr(err.msg, '\n')));
        arus_config_destroy(cfg);
        files++;
    }
    closedir(d);
    CHECK(files >= 10);
}

int main(void)
{
    /* Fixtures are found next to this source file (CMake compiles it by absolute path). */
    char src[2048];
    snprintf(src, sizeof src, "%s", __FILE__);
    const char *dir = dirname(src);
    snprintf(fixture_dir, sizeof fixture_dir, "%s/../fixtures/config", dir);
    snprintf(corpus_dir, sizeof corpus_dir, "%s/../fuzz/corpus/config", dir);
    arus_registry_add_source("fakesrc", &fake_src);
    arus_registry_add_destination("fakedst", &fake_dst);

    RUN(test_valid_config);
    RUN(test_error_fixtures);
    RUN(test_unknown_type_lists_known);
    RUN(test_structure_errors);
    RUN(test_pipeline_errors);
    RUN(test_interpolation);
    RUN(test_accessors);
    RUN(test_glob);
    RUN(test_empty_config);
    RUN(test_hostile_sizes);
    RUN(test_literal_password_warning);
    RUN(test_fuzz_corpus_replay);
    return check_exit();
}
