/*
 * A C handler with a shutdown hook: answers the event unchanged (and logs that with lb_log)
 * and, when the execution environment shuts down (SIGTERM), says how many invocations it
 * served.
 *
 *     LAMBDA_HANDLER=examples/c/farewell.c cargo build --release
 *
 * build.rs finds `handler_shutdown` and the bootstrap registers an internal extension, so
 * that Lambda sends it SIGTERM (docs/shutdown.md).
 */
#include <stdio.h>
#include <string.h>

#include "lambda_bootstrap.h"

static unsigned long served;

int handler(const lb_context *ctx, const uint8_t *event, size_t event_len, lb_response *out) {
    (void)ctx;
    if (event_len > out->cap) {
        return 1;
    }
    memcpy(out->ptr, event, event_len);
    out->len = event_len;
    served++;
    lb_log(LB_LOG_INFO, "farewell: echoed", 16);
    return 0;
}

void handler_shutdown(void) {
    fprintf(stderr, "farewell: shutting down after %lu invocations\n", served);
}
