/*
 * lambda_bootstrap.h: the handler ABI of the lambda-bootstrap custom runtime for AWS Lambda.
 *
 * The bootstrap runs the Runtime API loop and calls one function per invocation:
 *
 *     int handler(const lb_context *ctx, const uint8_t *event, size_t event_len,
 *                 lb_response *out);
 *
 * - `event` holds the invocation's payload (usually JSON), `event_len` bytes, valid during
 *   the call. It is not NUL-terminated.
 * - `out` lends the runtime's response buffer: write up to `out->cap` bytes at `out->ptr`
 *   and set `out->len`. Return 0: those bytes are the response.
 * - Return non-zero to fail: the bytes at `out->ptr` (`out->len` of them) are the error
 *   message, and `out->error_type` names the error (e.g. LB_STR("Function.BadInput");
 *   empty means "Function.Error"). The runtime posts
 *   {"errorMessage": ..., "errorType": ..., "stackTrace": []} with the message escaped.
 * - Setting `out->len` above `out->cap` means "my response would be this long": the
 *   runtime posts a Runtime.ResponseTooLarge error instead of reading past the buffer.
 *
 * An optional init hook runs once, before the first invocation:
 *
 *     int handler_init(lb_response *out);
 *
 * Return non-zero to fail initialisation (message and type as above): the runtime posts it
 * to /runtime/init/error and exits.
 *
 * An optional shutdown hook runs once when the execution environment shuts down (SIGTERM or
 * SIGINT), after the invocation in progress has been answered; then the process exits 0:
 *
 *     void handler_shutdown(void);
 *
 * With it the bootstrap registers an internal extension, without which Lambda sends no
 * SIGTERM. It has 450 ms (Lambda's SIGKILL comes 500 ms after SIGTERM); one still running
 * then is cut off with a log line. See docs/shutdown.md.
 *
 * Everything is single-threaded: the runtime never calls these concurrently.
 */
#ifndef LAMBDA_BOOTSTRAP_H
#define LAMBDA_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A byte string: `len` bytes at `ptr`. Every lb_str in the context the runtime lends is also
 * NUL-terminated (`ptr[len]` is NUL, so `ptr` is a C string), and an absent value there is
 * the empty string, never NULL. The lb_strs a handler gives (error_type, content_type,
 * headers and cookies) need no NUL: the runtime reads `len` bytes. */
typedef struct {
    const char *ptr;
    size_t len;
} lb_str;

/* A string literal as an lb_str. */
#define LB_STR(literal) ((lb_str){ (literal), sizeof(literal) - 1 })

/* The invocation's context: the Runtime API's /next headers. Valid during the call. */
typedef struct {
    lb_str  request_id;           /* Lambda-Runtime-Aws-Request-Id */
    int64_t deadline_ms;          /* Lambda-Runtime-Deadline-Ms: Unix epoch ms; 0 if absent */
    lb_str  invoked_function_arn; /* Lambda-Runtime-Invoked-Function-Arn */
    lb_str  trace_id;             /* Lambda-Runtime-Trace-Id; also in _X_AMZN_TRACE_ID */
    lb_str  client_context;       /* Lambda-Runtime-Client-Context (JSON) */
    lb_str  cognito_identity;     /* Lambda-Runtime-Cognito-Identity (JSON) */
    lb_str  tenant_id;            /* Lambda-Runtime-Aws-Tenant-Id */
    lb_str  invocation_id;        /* Lambda-Runtime-Invocation-Id */
} lb_context;

/* The runtime's response buffer, lent to the handler. */
typedef struct {
    uint8_t *ptr;        /* the buffer (6 MiB); changing the pointer has no effect */
    size_t   cap;        /* bytes available at ptr */
    size_t   len;        /* bytes written: the response, or the error message on failure */
    lb_str   error_type; /* on failure: the error type; empty means "Function.Error" */
    lb_str   content_type; /* a streamed response's Content-Type, read at the first
                              lb_stream_write; empty means "application/octet-stream" */
    void    *stream;     /* the runtime's; leave it alone */
} lb_response;

int handler(const lb_context *ctx, const uint8_t *event, size_t event_len, lb_response *out);
int handler_init(lb_response *out);
void handler_shutdown(void);

/*
 * A log line with the invocation's request id, following Lambda's logging controls:
 * AWS_LAMBDA_LOG_FORMAT=JSON makes it {"timestamp","level","message","requestId"} (the message
 * escaped, invalid UTF-8 as U+FFFD); otherwise "TIMESTAMP\tREQUEST_ID\tLEVEL\tmessage".
 * AWS_LAMBDA_LOG_LEVEL drops lines below it. One write per line: lines never interleave.
 */
enum { LB_LOG_TRACE = 0, LB_LOG_DEBUG, LB_LOG_INFO, LB_LOG_WARN, LB_LOG_ERROR, LB_LOG_FATAL };
void lb_log(int level, const char *message, size_t length);

/*
 * Response streaming (up to 200 MB; the caller receives the pieces as they are written).
 *
 * lb_stream_write sends `len` bytes at once as the next piece of the response; the first call
 * starts the stream (with out->content_type). When the handler returns 0, the bytes left in
 * the buffer (out->len of them) are sent as the last piece. If it returns non-zero after
 * streaming, the caller gets the error (type and message, as above) as the stream's error
 * trailers. Returns 0, or -1 when the stream broke (the rest cannot be delivered).
 *
 * lb_stream_http_prelude starts a response for a function URL or an HTTP integration: the
 * status code, headers (header_count name/value pairs: headers[2i] is a name, headers[2i+1]
 * its value) and cookies the caller gets; the body follows with lb_stream_write. It must come
 * first. Returns 0, or -1.
 */
int lb_stream_write(lb_response *out, const void *data, size_t len);
int lb_stream_http_prelude(lb_response *out, int status_code, const lb_str *headers,
                           size_t header_count, const lb_str *cookies, size_t cookie_count);

#ifdef __cplusplus
}
#endif

#endif /* LAMBDA_BOOTSTRAP_H */
