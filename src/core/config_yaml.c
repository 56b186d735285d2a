/* YAML text -> struct arus_cfg_node tree, with libyaml's event API. Every node remembers its
 * file and 1-based line (a map value: the line of its key, so messages point at "key:"), map
 * keys are unique, and ${VAR} is interpolated in every scalar value. Aliases, complex keys and
 * multiple documents are rejected: a config never needs them, and aliases invite blow-ups. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "arus/arena.h"
#include "arus/error.h"
#include "arus/strbuf.h"
#include "core/config_internal.h"

/* Real configs nest 4-5 levels; the cap bounds memory and path lengths on hostile input. */
#define CFG_MAX_DEPTH 64

/* A map or list under construction. Children collect on the heap and move to the arena at
 * the end event, so the arena holds exactly one array per container. */
struct frame {
    struct arus_cfg_node *node;
    struct arus_cfg_node **kids;
    size_t nkids, cap;
    const char *key; /* map only: key read, value not yet seen */
    int key_line;
};

struct parser {
    struct arus_arena *a;
    const char *file;
    struct frame stack[CFG_MAX_DEPTH];
    size_t depth;
    struct arus_cfg_node *root;
    struct arus__cfg_secret *secrets;
    struct arus_error *err;
};

static int mark_line(yaml_mark_t m)
{
    return m.line >= (size_t)INT32_MAX ? INT32_MAX : (int)m.line + 1;
}

/* Dotted path ("sources.pg.hosts[1]") of the node at stack level `level` (0 = the root), or
 * with level == depth of the value just added to the top frame. Each level's node is the last
 * child of the level above, as containers are pushed when added. Built only for messages and
 * secrets: a stored path per node would cost nesting x key length on hostile input. */
static const char *path_of(struct parser *p, size_t level)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    for (size_t i = 1; i <= level; i++) {
        const struct frame *parent = &p->stack[i - 1];
        if (parent->node->kind == ARUS_CFG_MAP)
            arus_strbuf_appendf(&sb, "%s%s", sb.len ? "." : "",
                                parent->kids[parent->nkids - 1]->key);
        else
            arus_strbuf_appendf(&sb, "[%zu]", parent->nkids - 1);
    }
    const char *path = arus_arena_memdup(p->a, arus_strbuf_cstr(&sb), sb.len);
    arus_strbuf_cleanup(&sb);
    return path;
}

/* The path for messages; the root has the empty path. */
static const char *label(const char *path) { return path[0] ? path : "(top level)"; }

/* Label of the value just added (scalar errors). */
static const char *here(struct parser *p) { return label(path_of(p, p->depth)); }

static bool is_var_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_var_char(char c) { return is_var_start(c) || (c >= '0' && c <= '9'); }

/* Expand ${VAR} in s[0..n); "$${" stands for a literal "${". *had_ref tells whether any
 * variable was referenced. Messages name the key and the variable, never the value. */
static int interpolate(struct parser *p, const char *s, size_t n, int line, const char **out,
                       bool *had_ref)
{
    struct arus_strbuf sb;
    int rc = ARUS_OK;

    *had_ref = false;
    if (!memchr(s, '$', n)) {
        *out = arus_arena_memdup(p->a, s, n);
        return ARUS_OK;
    }
    arus_strbuf_init(&sb);
    arus_strbuf_reserve(&sb, n);
    for (size_t i = 0; i < n;) {
        if (s[i] == '$' && i + 2 < n && s[i + 1] == '$' && s[i + 2] == '{') {
            arus_strbuf_append(&sb, "${", 2);
            i += 3;
            continue;
        }
        if (!(s[i] == '$' && i + 1 < n && s[i + 1] == '{')) {
            arus_strbuf_putc(&sb, s[i++]);
            continue;
        }
        size_t start = i + 2, end = start;
        while (end < n && is_var_char(s[end]))
            end++;
        if (end == n || s[end] != '}' || end == start || !is_var_start(s[start])) {
            rc = arus_error_set(p->err, ARUS_ECONFIG,
                                "%s:%d: %s: malformed ${...} reference (expected ${NAME} with "
                                "NAME of letters, digits and _; write $${ for a literal ${)",
                                p->file, line, here(p));
            goto out;
        }
        char name[256];
        if (end - start >= sizeof name) {
            rc = arus_error_set(p->err, ARUS_ECONFIG,
                                "%s:%d: %s: environment variable name too long", p->file, line,
                                here(p));
            goto out;
        }
        memcpy(name, s + start, end - start);
        name[end - start] = '\0';
        const char *val = getenv(name);
        if (!val) {
            rc = arus_error_set(p->err, ARUS_ECONFIG,
                                "%s:%d: %s: environment variable %s is not set", p->file, line,
                                here(p), name);
            goto out;
        }
        arus_strbuf_puts(&sb, val);
        *had_ref = true;
        i = end + 1;
    }
    *out = arus_arena_memdup(p->a, arus_strbuf_cstr(&sb), sb.len);
out:
    arus_strbuf_cleanup(&sb);
    return rc;
}

/* Copy a scalar event's text; NUL bytes (YAML "\0") would silently truncate C strings. */
static int scalar_text(struct parser *p, const yaml_event_t *ev, size_t level, int line,
                       const char **s, size_t *n)
{
    *s = (const char *)ev->data.scalar.value;
    *n = ev->data.scalar.length;
    if (memchr(*s, '\0', *n))
        return arus_error_set(p->err, ARUS_ECONFIG, "%s:%d: %s: NUL byte in text", p->file, line,
                              label(path_of(p, level)));
    return ARUS_OK;
}

/* The top frame is a map and a key arrives: remember it until its value comes. Duplicates
 * are found at the end of the map (sorting beats comparing every pair on huge maps). */
static int take_key(struct parser *p, struct frame *f, const yaml_event_t *ev)
{
    int line = mark_line(ev->start_mark);
    if (ev->type != YAML_SCALAR_EVENT)
        return arus_error_set(p->err, ARUS_ECONFIG, "%s:%d: %s: only scalar keys are supported",
                              p->file, line, label(path_of(p, p->depth - 1)));
    const char *s;
    size_t n;
    int rc = scalar_text(p, ev, p->depth - 1, line, &s, &n);
    if (rc)
        return rc;
    f->key = arus_arena_memdup(p->a, s, n);
    f->key_line = line;
    return ARUS_OK;
}

/* Orders pointers to kids slots by key, then by slot, i.e. by position in the file. */
static int by_key_then_position(const void *a, const void *b)
{
    struct arus_cfg_node **const *x = a, **const *y = b;
    int c = strcmp((**x)->key, (**y)->key);
    return c ? c : (*x > *y) - (*x < *y);
}

/* The map on top of the stack is complete: reject a repeated key, naming the repeat that
 * comes first in the file and the line of the key it repeats. */
static int check_duplicates(struct parser *p, const struct frame *f)
{
    if (f->nkids < 2)
        return ARUS_OK;
    struct arus_cfg_node ***sorted = arus_xmalloc(f->nkids * sizeof *sorted);
    for (size_t i = 0; i < f->nkids; i++)
        sorted[i] = &f->kids[i];
    qsort(sorted, f->nkids, sizeof *sorted, by_key_then_position);
    struct arus_cfg_node **dup = NULL, **first = NULL;
    for (size_t i = 1, run = 0; i < f->nkids; i++) {
        if (strcmp((*sorted[i])->key, (*sorted[run])->key) != 0) {
            run = i;
        } else if (!dup || sorted[i] < dup) {
            dup = sorted[i];
            first = sorted[run];
        }
    }
    free(sorted);
    if (!dup)
        return ARUS_OK;
    return arus_error_set(
        p->err, ARUS_ECONFIG, "%s:%d: %s: duplicate key (first at line %d)", p->file, (*dup)->line,
        arus__cfg_join(p->a, path_of(p, p->depth - 1), (*dup)->key), (*first)->line);
}

/* Create the node for a value event and hang it under the top frame (or make it the root). */
static struct arus_cfg_node *add_value(struct parser *p, enum arus_cfg_kind kind,
                                       const yaml_event_t *ev)
{
    struct arus__cfg_node *wrap = arus_arena_calloc(p->a, 1, sizeof *wrap);
    struct arus_cfg_node *node = &wrap->pub;
    node->kind = kind;
    node->file = p->file;
    node->line = mark_line(ev->start_mark);
    if (p->depth == 0) {
        p->root = node;
        return node;
    }
    struct frame *f = &p->stack[p->depth - 1];
    if (f->node->kind == ARUS_CFG_MAP) {
        node->key = f->key;
        node->line = f->key_line;
        f->key = NULL;
    }
    if (f->nkids == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->kids = arus_xrealloc(f->kids, f->cap * sizeof *f->kids);
    }
    f->kids[f->nkids++] = node;
    return node;
}

/* True when a URL value (scheme://user:secret@host...) holds a password typed into the file:
 * a non-empty secret in its user-info that is not a ${VAR} reference. */
static bool url_has_literal_password(const char *raw, size_t n)
{
    size_t i = 0, at = 0, colon = 0;
    while (i + 3 <= n && memcmp(raw + i, "://", 3) != 0)
        i++;
    if (i + 3 > n)
        return false;
    for (i += 3; i < n && !strchr("/?#", raw[i]); i++) {
        if (raw[i] == '@')
            at = i;
        else if (raw[i] == ':' && !at && !colon)
            colon = i;
    }
    if (!colon || !at || colon > at || at == colon + 1)
        return false;
    for (i = colon + 1; i + 1 < at; i++)
        if (raw[i] == '$' && raw[i + 1] == '{')
            return false;
    return true;
}

static int on_scalar(struct parser *p, const yaml_event_t *ev)
{
    const char *text = NULL, *raw;
    size_t n;
    bool had_ref;
    struct arus_cfg_node *node = add_value(p, ARUS_CFG_SCALAR, ev);
    int rc = scalar_text(p, ev, p->depth, node->line, &raw, &n);
    if (rc)
        return rc;
    rc = interpolate(p, raw, n, node->line, &text, &had_ref);
    if (rc)
        return rc;
    node->scalar = text;
    ((struct arus__cfg_node *)node)->interpolated = had_ref;
    if (node->key && ((strcasecmp(node->key, "password") == 0 && !had_ref && text[0]) ||
                      ((strcasecmp(node->key, "url") == 0 || strcasecmp(node->key, "uri") == 0) &&
                       url_has_literal_password(raw, n)))) {
        struct arus__cfg_secret *s = arus_arena_calloc(p->a, 1, sizeof *s);
        s->path = path_of(p, p->depth);
        s->line = node->line;
        s->next = p->secrets;
        p->secrets = s;
    }
    return ARUS_OK;
}

static int on_start(struct parser *p, enum arus_cfg_kind kind, const yaml_event_t *ev)
{
    if (p->depth == CFG_MAX_DEPTH)
        return arus_error_set(p->err, ARUS_ECONFIG, "%s:%d: nesting deeper than %d levels", p->file,
                              mark_line(ev->start_mark), CFG_MAX_DEPTH);
    struct arus_cfg_node *node = add_value(p, kind, ev);
    p->stack[p->depth++] = (struct frame){.node = node};
    return ARUS_OK;
}

static int on_end(struct parser *p)
{
    struct frame *f = &p->stack[p->depth - 1];
    if (f->node->kind == ARUS_CFG_MAP) {
        int rc = check_duplicates(p, f);
        if (rc)
            return rc; /* the frame stays on the stack; arus__cfg_parse frees it */
    }
    f->node->nchildren = f->nkids;
    if (f->nkids) {
        f->node->children = arus_arena_alloc(p->a, f->nkids * sizeof *f->kids);
        memcpy(f->node->children, f->kids, f->nkids * sizeof *f->kids);
    }
    free(f->kids);
    f->kids = NULL;
    p->depth--;
    return ARUS_OK;
}

const char *arus__cfg_shown(const struct arus_cfg_node *n)
{
    return ((const struct arus__cfg_node *)n)->interpolated ? "<value from ${...} not shown>"
                                                            : n->scalar;
}

static int yaml_failure(struct parser *p, const yaml_parser_t *yp, const char *yaml, size_t len)
{
    int line = mark_line(yp->problem_mark);
    if (yp->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset, not a mark. */
        line = 1;
        for (size_t i = 0; i < yp->problem_offset && i < len; i++)
            line += yaml[i] == '\n';
    }
    const char *problem = yp->problem ? yp->problem : "out of memory";
    if (yp->context)
        return arus_error_set(p->err, ARUS_ECONFIG, "%s:%d: invalid YAML: %s (%s at line %d)",
                              p->file, line, problem, yp->context, mark_line(yp->context_mark));
    return arus_error_set(p->err, ARUS_ECONFIG, "%s:%d: invalid YAML: %s", p->file, line, problem);
}

static int dispatch(struct parser *p, const yaml_event_t *ev, int *ndocs)
{
    struct frame *top = p->depth ? &p->stack[p->depth - 1] : NULL;
    int line = mark_line(ev->start_mark);

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*ndocs > 1)
            return arus_error_set(p->err, ARUS_ECONFIG,
                                  "%s:%d: multiple YAML documents are not supported", p->file,
                                  line);
        return ARUS_OK;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        return on_end(p);
    case YAML_ALIAS_EVENT:
        return arus_error_set(p->err, ARUS_ECONFIG, "%s:%d: YAML aliases (*name) are not supported",
                              p->file, line);
    case YAML_SCALAR_EVENT:
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        break;
    default:
        return ARUS_OK;
    }
    if (top && top->node->kind == ARUS_CFG_MAP && !top->key)
        return take_key(p, top, ev);
    if (ev->type == YAML_SCALAR_EVENT)
        return on_scalar(p, ev);
    return on_start(p, ev->type == YAML_MAPPING_START_EVENT ? ARUS_CFG_MAP : ARUS_CFG_LIST, ev);
}

int arus__cfg_parse(struct arus_arena *a, const char *file, const char *yaml, size_t len,
                    struct arus_cfg_node **root, struct arus__cfg_secret **secrets,
                    struct arus_error *err)
{
    struct parser p = {.a = a, .file = file, .err = err};
    yaml_parser_t yp;
    int rc = ARUS_OK, ndocs = 0;
    bool done = false;

    yaml_parser_initialize(&yp);
    yaml_parser_set_input_string(&yp, (const unsigned char *)yaml, len);
    while (!done && rc == ARUS_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&yp, &ev)) {
            rc = yaml_failure(&p, &yp, yaml, len);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = dispatch(&p, &ev, &ndocs);
        yaml_event_delete(&ev);
    }
    while (p.depth)
        free(p.stack[--p.depth].kids);
    yaml_parser_delete(&yp);
    if (rc == ARUS_OK) {
        *root = p.root;
        *secrets = p.secrets;
    }
    return rc;
}
