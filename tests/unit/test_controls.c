/* Operator controls against the fake connectors: state that no longer matches the destination
 * (a dropped or emptied typed table while a watermark is stored, rows while no state is) makes
 * the table reload in full through a shadow table, announced as mode "reload"; forget_state
 * (arus reset) leads to the same reload (both fake destinations). Also the new config keys with
 * their errors, the column rules (arus_pipeline_table_rules) and the type widening rules of
 * schema_changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/sync_internal.h"
#include "support/fake.h"

static const char *names[] = {"id", "name", "updated_at", "deleted_at"};
static const enum arus_ltype types[] = {ARUS_T_INT64, ARUS_T_STRING, ARUS_T_TIMESTAMP,
                                        ARUS_T_TIMESTAMP};
static const char *tables[] = {"t"};
static const char *dest_type; /* the fake destination of this round */

static void put(int id, const char *updated_at)
{
    char key[32];
    snprintf(key, sizeof key, "%d", id);
    const char *row[] = {key, "a", updated_at, NULL};
    fake_put(row);
}

/* 10 rows synced once, probe on. */
static void setup(void)
{
    fake_reset();
    fake_define(4, names, types);
    fake_dest_probe = true;
    for (int i = 1; i <= 10; i++)
        put(i, "2024-01-01 00:00:00");
}

/* One sync; returns its report's mode of table t (static string) and the rows loaded. */
static const char *sync_mode(int64_t *loaded, char *reason, size_t n)
{
    struct arus_pipeline p;
    fake_pipeline(&p, tables, 4);
    struct arus_sync_report rep;
    int rc = fake_sync_noted(&p, false, &rep);
    const char *mode = rc == ARUS_OK && rep.ntables == 1 ? rep.tables[0].mode : "failed";
    *loaded = rep.ntables ? rep.tables[0].rows_loaded : -1;
    if (reason)
        snprintf(reason, n, "%s", rep.ntables ? rep.tables[0].reload_reason : "");
    arus_sync_report_cleanup(&rep);
    return mode;
}

static void test_first_and_steady_runs_are_incremental(void)
{
    setup();
    int64_t loaded;
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    CHECK_INT(loaded, 10);
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    CHECK_INT(loaded, 0);
    CHECK(strstr(fake_calls(), "table_rows\n") != NULL);
}

static void test_dropped_table_reloads(void)
{
    setup();
    int64_t loaded;
    char why[128];
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    fake_drop_dest_table(false);
    put(3, "2024-01-02 00:00:00");
    put(4, "2024-01-02 00:00:00");
    CHECK_STR(sync_mode(&loaded, why, sizeof why), "reload");
    CHECK_STR(why, "the typed table is missing but state holds a watermark");
    CHECK_INT(loaded, 10);
    CHECK_INT(fake_dest_table.nrows, 10);
    CHECK(strstr(fake_calls(), "ensure_schema(shadow)\n") != NULL);
    CHECK_STR(fake_dest_state.watermark, "2024-01-02 00:00:00");
    /* run history says so */
    CHECK_STR(fake_runs[fake_nruns - 1].mode, "reload");
    /* and the next run is incremental again */
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    CHECK_INT(loaded, 0);
}

static void test_emptied_table_reloads(void)
{
    setup();
    int64_t loaded;
    char why[128];
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    fake_drop_dest_table(true);
    CHECK_STR(sync_mode(&loaded, why, sizeof why), "reload");
    CHECK_STR(why, "the typed table is empty but state holds a watermark");
    CHECK_INT(fake_dest_table.nrows, 10);
}

/* arus reset forgets the state; the table still has rows, so the next run replaces it. */
static void test_forgotten_state_reloads_into_shadow(void)
{
    setup();
    int64_t loaded, forgotten = 0;
    char why[128];
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    struct arus_endpoint ep = {.name = "dst", .type = dest_type};
    struct arus_destination *dst = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    REQUIRE(arus_destination_create(&ep, &dst, &err) == ARUS_OK);
    CHECK_INT(arus_destination_forget_state(dst, "p", "t", &forgotten, &err), ARUS_OK);
    arus_destination_close(dst);
    CHECK_INT(forgotten, 1);
    CHECK(fake_dest_state.watermark == NULL);
    CHECK_STR(sync_mode(&loaded, why, sizeof why), "reload");
    CHECK_STR(why, "no state is stored but the typed table holds rows");
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 00:00:00");
    CHECK_INT(fake_dest_table.nrows, 10);
}

static struct arus_config *load(const char *pipeline_yaml, struct arus_error *err)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "sources: {s: {type: fake}}\ndestinations: {d: {type: fake}}\npipelines:\n"
             "  p:\n    source: s\n    destination: d\n%s",
             pipeline_yaml);
    struct arus_config *cfg = NULL;
    arus_error_clear(err);
    arus_config_load_string("t.yml", yaml, strlen(yaml), &cfg, err);
    return cfg;
}

static void expect_config_error(const char *pipeline_yaml, const char *want)
{
    struct arus_error err;
    struct arus_config *cfg = load(pipeline_yaml, &err);
    CHECK(cfg == NULL);
    arus_config_destroy(cfg);
    if (!strstr(err.msg, want)) {
        fprintf(stderr, "  message: %s\n  wanted:  %s\n", err.msg, want);
        CHECK(!"config error message");
    }
}

static void test_config_keys(void)
{
    setenv("ARUS_TEST_HASH_KEY", "secret", 1);
    struct arus_error err;
    struct arus_config *cfg =
        load("    tables:\n      - \"*\"\n"
             "      - {name: users, exclude_columns: [pw], hash_columns: [email], "
             "rename: {table: people, columns: {name: full_name}}, load_mode: raw, "
             "enabled: true}\n"
             "      - {name: orders, columns: [id, total], rename: sales}\n"
             "      - {name: logs, enabled: false}\n"
             "    exclude: [\"tmp_*\"]\n    hash_key: ${ARUS_TEST_HASH_KEY}\n"
             "    schema_changes: freeze\n    dropped_columns: null\n",
             &err);
    REQUIRE(cfg != NULL);
    const struct arus_pipeline *p = &cfg->pipelines[0];
    CHECK_STR(p->hash_key, "secret");
    CHECK_INT(p->schema_changes, ARUS_SCHEMA_FREEZE);
    CHECK_INT(p->dropped_columns, ARUS_DROPPED_NULL);
    const struct arus_table_override *u = arus_pipeline_override(p, "users");
    REQUIRE(u != NULL);
    CHECK_STR(u->rename_table, "people");
    CHECK_INT(u->nrename, 1);
    CHECK_STR(u->rename_to[0], "full_name");
    CHECK_INT(u->load_mode, ARUS_LOAD_RAW);
    CHECK_INT(arus_pipeline_load_mode(p, "users"), ARUS_LOAD_RAW);
    CHECK_INT(arus_pipeline_load_mode(p, "orders"), ARUS_LOAD_NORMALIZED);
    CHECK_STR(arus_pipeline_override(p, "orders")->rename_table, "sales");
    char why[128];
    CHECK(arus_pipeline_skips(p, "logs", why, sizeof why));
    CHECK_STR(why, "disabled (enabled: false)");
    CHECK(arus_pipeline_skips(p, "tmp_x", why, sizeof why));
    CHECK_STR(why, "excluded by exclude: tmp_*");
    CHECK(!arus_pipeline_skips(p, "users", why, sizeof why));
    arus_config_destroy(cfg);

    unsetenv("ARUS_TEST_HASH_KEY");
    expect_config_error("    tables: [{name: t, hash_columns: [a]}]\n"
                        "    hash_key: ${ARUS_TEST_HASH_KEY}\n",
                        "t.yml:8: pipelines.p.hash_key: environment variable ARUS_TEST_HASH_KEY "
                        "is not set");
    expect_config_error("    tables: [{name: t, hash_columns: [a]}]\n",
                        "pipelines.p: hash_columns needs hash_key");
    expect_config_error("    tables: [{name: t, columns: [a], exclude_columns: [b]}]\n",
                        "pipelines.p.tables[0].exclude_columns: not allowed together with columns");
    expect_config_error("    tables: [{name: t, columns: []}]\n",
                        "pipelines.p.tables[0].columns: expected a non-empty list of names");
    expect_config_error("    tables: [{name: t, rename: {tabel: x}}]\n",
                        "pipelines.p.tables[0].rename.tabel: unknown rename setting");
    expect_config_error("    tables: [{name: t, rename: {columns: [a]}}]\n",
                        "pipelines.p.tables[0].rename.columns: expected a map");
    expect_config_error("    tables: [{name: t, enabled: maybe}]\n",
                        "pipelines.p.tables[0].enabled: expected true or false");
    expect_config_error("    tables: [{name: t, load_mode: both}]\n",
                        "pipelines.p.tables[0].load_mode: expected normalized, raw or");
    expect_config_error("    schema_changes: adapt\n",
                        "pipelines.p.schema_changes: expected evolve, freeze or fail");
    expect_config_error("    dropped_columns: drop\n",
                        "pipelines.p.dropped_columns: expected keep, null or fail");
    expect_config_error("    exclude: tmp_*\n", "pipelines.p.exclude: expected a non-empty list");
}

/* A source table users(id pk, email, name, pw) under the rules of pipeline_yaml. */
static int rules_of(const char *pipeline_yaml, struct arus_arena *a, struct arus_table_rules *r,
                    struct arus_error *err)
{
    static char n_id[] = "id", n_email[] = "email", n_name[] = "name", n_pw[] = "pw";
    struct arus_column cols[] = {
        {.name = n_id, .type = {.ltype = ARUS_T_INT64}, .pk_ordinal = 1},
        {.name = n_email, .type = {.ltype = ARUS_T_STRING}, .nullable = true},
        {.name = n_name, .type = {.ltype = ARUS_T_STRING}, .nullable = true},
        {.name = n_pw, .type = {.ltype = ARUS_T_STRING}, .nullable = true},
    };
    static char n_users[] = "users";
    struct arus_table_schema t = {.name = n_users, .columns = cols, .ncolumns = 4};
    struct arus_config *cfg = load(pipeline_yaml, err);
    if (!cfg)
        return err->code;
    struct arus_table_schema *copy = arus_schema_copy(a, &t);
    int rc = arus_pipeline_table_rules(&cfg->pipelines[0], copy, a, r, err);
    if (rc == ARUS_OK) /* strings the rules point into live in the config */
        r->dest_table = arus_arena_strdup(a, r->dest_table);
    for (size_t i = 0; rc == ARUS_OK && i < 4; i++)
        r->column_as[i] = arus_arena_strdup(a, r->column_as[i]);
    arus_config_destroy(cfg);
    return rc;
}

static void test_column_rules(void)
{
    setenv("ARUS_TEST_HASH_KEY", "k", 1);
    struct arus_arena *a = arus_arena_create(0);
    struct arus_table_rules r;
    struct arus_error err;
    REQUIRE(rules_of("    tables: [{name: users, exclude_columns: [pw], hash_columns: [EMAIL], "
                     "rename: {table: people, columns: {name: full_name}}}]\n"
                     "    hash_key: ${ARUS_TEST_HASH_KEY}\n",
                     a, &r, &err) == ARUS_OK);
    CHECK(r.selected);
    CHECK_STR(r.dest_table, "people");
    CHECK_STR(r.column_as[0], "id");
    CHECK_STR(r.column_as[1], "email");
    CHECK(r.hashed[1] && !r.hashed[0] && !r.hashed[2]);
    CHECK_STR(r.column_as[2], "full_name");
    CHECK(r.column_as[3] == NULL);
    REQUIRE(rules_of("    tables: [{name: users, columns: [id, name]}]\n", a, &r, &err) == ARUS_OK);
    CHECK(r.column_as[1] == NULL && r.column_as[3] == NULL && r.column_as[2] != NULL);
    /* bad input: unknown column, the key left out, a hashed column left out, a clash */
    CHECK_INT(rules_of("    tables: [{name: users, columns: [id, emial]}]\n", a, &r, &err),
              ARUS_ECONFIG);
    CHECK_STR(err.msg, "table \"users\": columns: unknown column \"emial\" (it has: id, email, "
                       "name, pw)");
    CHECK_INT(rules_of("    tables: [{name: users, exclude_columns: [id]}]\n", a, &r, &err),
              ARUS_ECONFIG);
    CHECK(strstr(err.msg, "column \"id\" is part of the primary key") != NULL);
    CHECK_INT(rules_of("    tables: [{name: users, exclude_columns: [pw], hash_columns: [pw]}]\n"
                       "    hash_key: ${ARUS_TEST_HASH_KEY}\n",
                       a, &r, &err),
              ARUS_ECONFIG);
    CHECK(strstr(err.msg, "hash_columns: \"pw\" is not loaded") != NULL);
    CHECK_INT(
        rules_of("    tables: [{name: users, rename: {columns: {name: email}}}]\n", a, &r, &err),
        ARUS_ECONFIG);
    CHECK_STR(err.msg, "table \"users\": rename: two columns would land as \"email\"");
    REQUIRE(rules_of("    tables: [other]\n", a, &r, &err) == ARUS_OK);
    CHECK(!r.selected);
    CHECK_STR(r.why, "not in tables:");
    arus_arena_destroy(a);
}

static void widening(struct arus_type have, struct arus_type want, enum arus__widening expected,
                     struct arus_type to_expected)
{
    struct arus_type to;
    CHECK_INT(arus__type_widening(&have, &want, &to), expected);
    if (expected == ARUS__WIDEN) {
        CHECK_INT(to.ltype, to_expected.ltype);
        CHECK_INT(to.length, to_expected.length);
        CHECK_INT(to.precision, to_expected.precision);
        CHECK_INT(to.scale, to_expected.scale);
    }
}

static void test_type_widening(void)
{
    const struct arus_type i16 = {ARUS_T_INT16}, i32 = {ARUS_T_INT32}, i64 = {ARUS_T_INT64},
                           text = {ARUS_T_STRING}, vc10 = {ARUS_T_STRING, 10},
                           vc40 = {ARUS_T_STRING, 40}, d62 = {ARUS_T_DECIMAL, 0, 6, 2},
                           d124 = {ARUS_T_DECIMAL, 0, 12, 4}, d104 = {ARUS_T_DECIMAL, 0, 10, 4},
                           ts = {ARUS_T_TIMESTAMP}, tstz = {ARUS_T_TIMESTAMPTZ},
                           f32 = {ARUS_T_FLOAT32}, f64 = {ARUS_T_FLOAT64},
                           d52 = {ARUS_T_DECIMAL, 0, 5, 2}, none = {0};
    widening(i32, i64, ARUS__WIDEN, i64);
    widening(i16, i32, ARUS__WIDEN, i32);
    widening(i64, i32, ARUS__COVERED, none);
    widening(vc10, vc40, ARUS__WIDEN, vc40);
    widening(vc10, text, ARUS__WIDEN, text);
    widening(vc40, vc10, ARUS__COVERED, none);
    widening(text, vc40, ARUS__COVERED, none);
    widening(d62, d124, ARUS__WIDEN, d124);
    widening(d124, d62, ARUS__COVERED, none);
    /* more integer digits and fewer decimals: wide enough for both */
    widening(d62, (struct arus_type){ARUS_T_DECIMAL, 0, 10, 1}, ARUS__WIDEN,
             (struct arus_type){ARUS_T_DECIMAL, 0, 11, 2});
    /* int -> decimal keeps room for every int */
    widening(i32, d52, ARUS__WIDEN, (struct arus_type){ARUS_T_DECIMAL, 0, 12, 2});
    widening(i32, d104, ARUS__WIDEN, (struct arus_type){ARUS_T_DECIMAL, 0, 14, 4});
    widening(i64, text, ARUS__WIDEN, text);
    widening(ts, text, ARUS__WIDEN, text);
    widening(text, i64, ARUS__COVERED, none);
    widening(ts, tstz, ARUS__COVERED, none);
    widening(f32, f64, ARUS__WIDEN, f64);
    widening(d62, i32, ARUS__COVERED, none);
    widening(i64, ts, ARUS__INCOMPATIBLE, none);
    widening(ts, i64, ARUS__INCOMPATIBLE, none);
}

int main(void)
{
    fake_register();
    RUN(test_config_keys);
    RUN(test_column_rules);
    RUN(test_type_widening);
    for (size_t i = 0; (dest_type = fake_each_destination(&i));) {
        RUN(test_first_and_steady_runs_are_incremental);
        RUN(test_dropped_table_reloads);
        RUN(test_emptied_table_reloads);
        RUN(test_forgotten_state_reloads_into_shadow);
    }
    fake_reset();
    return check_exit();
}
