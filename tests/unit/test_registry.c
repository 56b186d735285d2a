/* Registry ABI range: connectors built against an older header within the minimum still load
 * and the core wrappers never read slots their version lacks (run under ASan, an ops table cut
 * off where the old header ended would show any such read); versions out of range are refused
 * with a message saying why. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "support/fake.h"

static const char *names[] = {"id", "name", "updated_at", "deleted_at"};
static const enum arus_ltype types[] = {ARUS_T_INT64, ARUS_T_STRING, ARUS_T_TIMESTAMP,
                                        ARUS_T_TIMESTAMP};
static const char *tables[] = {"t"};

/* A copy of ops as a connector built against ABI 1 would export it: the table ends where the
 * version 1 header ended, before write_dead_letter. Heap memory of exactly that size, so a read
 * of a later slot is out of bounds for ASan. Caller frees. */
static struct arus_destination_ops *abi1_copy(const struct arus_destination_ops *ops)
{
    struct arus_destination_ops v1 = *ops;
    v1.abi_version = 1;
    size_t size = offsetof(struct arus_destination_ops, write_dead_letter);
    void *old = malloc(size);
    memcpy(old, &v1, size);
    return old;
}

/* Sync 100 rows where every 30th is refused by the fake destination; returns the engine's
 * code. */
static int sync_refused_rows(int64_t max_dead_letters, struct arus_error *err)
{
    fake_reset();
    fake_define(4, names, types);
    char key[32], ts[32];
    for (int i = 1; i <= 100; i++) {
        snprintf(key, sizeof key, "%d", i);
        snprintf(ts, sizeof ts, "2024-01-01 %02d:%02d:00", i / 60, i % 60);
        const char *row[] = {key, i % 30 == 0 ? "BAD" : "ok", ts, NULL};
        fake_put(row);
    }
    struct arus_pipeline p;
    fake_pipeline(&p, tables, 16);
    p.max_dead_letters = max_dead_letters;
    struct arus_sync_report rep;
    arus_error_clear(err);
    int rc = fake_sync(&p, false, &rep, err);
    arus_sync_report_cleanup(&rep);
    return rc;
}

static void test_abi1_destination_loads_without_dead_letters(void)
{
    const struct arus_destination_ops *current = arus_registry_destination("fake");
    REQUIRE(current && current->abi_version == ARUS_DESTINATION_ABI);
    struct arus_destination_ops *old = abi1_copy(current);
    /* Shadows the current fake: fake_sync now runs against the ABI 1 table. */
    CHECK_INT(arus_registry_add_destination("fake", old), ARUS_OK);
    CHECK(arus_registry_destination("fake") == old);
    CHECK(!arus_destination_ops_can_dead_letter(old));
    CHECK(arus_destination_ops_can_delete_rows(old));
    CHECK(arus_destination_ops_has_transactions(old));

    struct arus_endpoint ep = {.name = "dst", .type = "fake"};
    struct arus_destination *dst = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    REQUIRE(arus_destination_create(&ep, &dst, &err) == ARUS_OK);
    CHECK(!arus_destination_can_dead_letter(dst));
    struct arus_target t = {.pipeline = "p", .source_name = "src", .table = "t", .run_id = "r"};
    CHECK_INT(arus_destination_write_dead_letter(dst, &t, "{}", "refused", &err), ARUS_ENOTSUP);
    CHECK_STR(err.msg, "destination \"dst\" (fake) cannot keep refused rows");
    arus_destination_close(dst);

    /* The engine treats it as a destination without dead letters: the first refused row fails
     * the run, whatever max_dead_letters allows, and nothing is dead-lettered. */
    CHECK_INT(sync_refused_rows(5, &err), ARUS_EDATA);
    CHECK_INT(fake_dead_letters, 0);
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 00:16:00");

    /* The current table registered again takes over: the same run now keeps the rows. */
    CHECK_INT(arus_registry_add_destination("fake", current), ARUS_OK);
    CHECK_INT(sync_refused_rows(5, &err), ARUS_OK);
    CHECK_INT(fake_dead_letters, 3);
    free(old);
}

static void test_destination_abi_out_of_range_refused(void)
{
    struct arus_destination_ops ops = *arus_registry_destination("fake");
    struct arus_error err;
    ops.abi_version = ARUS_DESTINATION_ABI + 1;
    CHECK_INT(arus_registry_check_destination(&ops, &err), ARUS_EINVAL);
    CHECK_STR(err.msg, "destination connector \"fake\" is built for destination ABI 4, this arus "
                       "supports 1 to 3: the connector needs a newer arus");
    CHECK_INT(arus_registry_add_destination("too_new", &ops), ARUS_EINVAL);
    ops.abi_version = ARUS_DESTINATION_ABI_MIN - 1;
    CHECK_INT(arus_registry_check_destination(&ops, &err), ARUS_EINVAL);
    CHECK_STR(err.msg, "destination connector \"fake\" is built for destination ABI 0, this arus "
                       "supports 1 to 3: rebuild the connector against this arus's headers");
    CHECK_INT(arus_registry_add_destination("too_old", &ops), ARUS_EINVAL);
    CHECK(arus_registry_destination("too_new") == NULL);
    CHECK(arus_registry_destination("too_old") == NULL);
    ops.abi_version = ARUS_DESTINATION_ABI;
    ops.name = NULL;
    CHECK_INT(arus_registry_check_destination(&ops, &err), ARUS_EINVAL);
    CHECK_STR(err.msg, "destination connector without a name");
    CHECK_INT(arus_registry_check_destination(NULL, &err), ARUS_EINVAL);
}

static void test_source_abi_out_of_range_refused(void)
{
    struct arus_source_ops ops = *arus_registry_source("fake");
    struct arus_error err;
    CHECK_INT(arus_registry_check_source(&ops, &err), ARUS_OK);
    ops.abi_version = ARUS_SOURCE_ABI + 1;
    CHECK_INT(arus_registry_check_source(&ops, &err), ARUS_EINVAL);
    CHECK(strstr(err.msg, "needs a newer arus") != NULL);
    CHECK_INT(arus_registry_add_source("too_new", &ops), ARUS_EINVAL);
    ops.abi_version = ARUS_SOURCE_ABI_MIN - 1;
    CHECK_INT(arus_registry_check_source(&ops, &err), ARUS_EINVAL);
    CHECK(strstr(err.msg, "rebuild the connector") != NULL);
    CHECK_INT(arus_registry_add_source("too_old", &ops), ARUS_EINVAL);
    CHECK(arus_registry_source("too_new") == NULL && arus_registry_source("too_old") == NULL);
}

static int silent_failure(struct arus_source *src, struct arus_error *err)
{
    (void)src;
    (void)err;
    return ARUS_EQUERY;
}

static int two_schemas(struct arus_source *src, struct arus_arena *a, char ***out, size_t *n,
                       struct arus_error *err)
{
    (void)src;
    (void)err;
    char **list = arus_arena_calloc(a, 2, sizeof *list);
    list[0] = arus_arena_strdup(a, "app");
    list[1] = arus_arena_strdup(a, "public");
    *out = list;
    *n = 2;
    return ARUS_OK;
}

/* discover_schemas through its wrapper: ARUS_ENOTSUP naming a source without the slot (the fake
 * has none), the slot's result otherwise; a slot failing without a message gets the wrapper's
 * text. */
static void test_source_wrappers(void)
{
    struct arus_source_ops ops = *arus_registry_source("fake");
    CHECK(!arus_source_ops_can_discover_schemas(&ops));
    ops.discover_schemas = two_schemas;
    ops.test_connection = silent_failure;
    CHECK_INT(arus_registry_add_source("fake_schemas", &ops), ARUS_OK);
    struct arus_endpoint plain_ep = {.name = "plain", .type = "fake"};
    struct arus_endpoint ep = {.name = "src", .type = "fake_schemas"};
    struct arus_source *plain = NULL, *src = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    REQUIRE(arus_source_create(&plain_ep, &plain, &err) == ARUS_OK);
    struct arus_arena *a = arus_arena_create(0);
    char **schemas = NULL;
    size_t n = 0;
    CHECK(!arus_source_can_discover_schemas(plain));
    CHECK_INT(arus_source_discover_schemas(plain, a, &schemas, &n, &err), ARUS_ENOTSUP);
    CHECK_STR(err.msg, "source \"plain\" (fake) has no schemas");
    arus_source_close(plain);

    REQUIRE(arus_source_create(&ep, &src, &err) == ARUS_OK);
    CHECK(arus_source_can_discover_schemas(src));
    REQUIRE(arus_source_discover_schemas(src, a, &schemas, &n, &err) == ARUS_OK);
    REQUIRE(n == 2);
    CHECK_STR(schemas[1], "public");
    arus_error_clear(&err);
    CHECK_INT(arus_source_test_connection(src, &err), ARUS_EQUERY);
    CHECK_STR(err.msg, "test connection on source \"src\" (fake) failed");
    arus_arena_destroy(a);
    arus_source_close(src);
}

int main(void)
{
    fake_register();
    RUN(test_abi1_destination_loads_without_dead_letters);
    RUN(test_destination_abi_out_of_range_refused);
    RUN(test_source_abi_out_of_range_refused);
    RUN(test_source_wrappers);
    return check_exit();
}
