#!/bin/sh
# An exec-mode handler (docs/exec.md). The event is on stdin (and in $1 when it is under
# 128 KiB), the invocation's context in LAMBDA_RUNTIME_* variables; what the script prints on
# stdout is the response, a non-zero exit status fails the invocation with the end of stderr
# as the message, and everything on stderr goes to the function's log.
set -eu

event=$(cat)
echo "request $LAMBDA_RUNTIME_AWS_REQUEST_ID: ${#event} bytes" >&2

case "$event" in
*'"fail"'*)
    echo "the event asked to fail" >&2
    exit 2
    ;;
esac

printf '{"requestId":"%s","eventBytes":%d,"uname":"%s"}' \
    "$LAMBDA_RUNTIME_AWS_REQUEST_ID" "${#event}" "$(uname -sm)"
