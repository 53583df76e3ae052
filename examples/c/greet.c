/*
 * A handler in C: answers {"greeting":"Hello, NAME!"} for an event with a "name" field.
 *
 * Build a bootstrap with it:  LAMBDA_HANDLER=examples/c/greet.c cargo build --release
 *
 * It uses libc as any C program does (snprintf, malloc, getenv): the bootstrap links musl.
 * The init hook refuses to start when GREET_REFUSE_INIT is set, to show init errors.
 */
#include "lambda_bootstrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *greeting = "Hello";

/* Finds the string value of "name" in a flat JSON object: a scanner for the example, not a
 * JSON parser (escaped quotes in the name are not supported). */
static int find_name(const uint8_t *event, size_t len, const char **name, size_t *name_len) {
    static const char key[] = "\"name\"";
    const char *text = (const char *)event;
    for (size_t i = 0; i + sizeof key - 1 <= len; i++) {
        if (memcmp(text + i, key, sizeof key - 1) != 0) continue;
        size_t j = i + sizeof key - 1;
        while (j < len && (text[j] == ' ' || text[j] == ':')) j++;
        if (j >= len || text[j] != '"') return 0;
        size_t start = ++j;
        while (j < len && text[j] != '"') j++;
        if (j >= len) return 0;
        *name = text + start;
        *name_len = j - start;
        return 1;
    }
    return 0;
}

static int fail(lb_response *out, lb_str type, const char *message) {
    int n = snprintf((char *)out->ptr, out->cap, "%s", message);
    out->len = n < 0 ? 0 : (size_t)n;
    out->error_type = type;
    return 1;
}

int handler_init(lb_response *out) {
    if (getenv("GREET_REFUSE_INIT")) {
        return fail(out, LB_STR("Function.InitRefused"), "GREET_REFUSE_INIT is set");
    }
    const char *custom = getenv("GREETING");
    if (custom && *custom) greeting = custom;
    return 0;
}

int handler(const lb_context *ctx, const uint8_t *event, size_t event_len, lb_response *out) {
    const char *name;
    size_t name_len;
    if (!find_name(event, event_len, &name, &name_len)) {
        return fail(out, LB_STR("Function.MissingName"), "the event has no \"name\" string");
    }
    /* A heap copy, to show malloc works; a real handler would print with %.*s. */
    char *copy = malloc(name_len + 1);
    if (!copy) return fail(out, LB_STR("Function.OutOfMemory"), "malloc failed");
    memcpy(copy, name, name_len);
    copy[name_len] = '\0';
    int n = snprintf((char *)out->ptr, out->cap, "{\"greeting\":\"%s, %s!\",\"requestId\":\"%s\"}",
                     greeting, copy, ctx->request_id.ptr);
    free(copy);
    if (n < 0) return fail(out, LB_STR("Function.Format"), "snprintf failed");
    out->len = (size_t)n; /* above out->cap, the runtime reports the response as too large */
    return 0;
}
