"""Local mode through a real AWS SDK: boto3's Lambda client, pointed at a bootstrap (the probe
handler) serving on 127.0.0.1:PORT, calls Invoke with each invocation type and log type, and
InvokeWithResponseStream. Run by tests/sdk.rs; exits non-zero (an AssertionError) on the
first difference from what Lambda answers."""

import base64
import re
import json
import sys
import threading
import time

import boto3
import botocore.config
import botocore.exceptions

port = int(sys.argv[1])


def lambda_client(attempts, read_timeout):
    return boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=botocore.config.Config(
            retries={"max_attempts": attempts}, read_timeout=read_timeout
        ),
    )


client = lambda_client(1, 60)


def invoke(payload, **kwargs):
    answer = client.invoke(FunctionName="function", Payload=payload, **kwargs)
    answer["Body"] = answer.pop("Payload").read()
    assert answer["ExecutedVersion"] == "$LATEST", answer
    return answer


def count():
    return int(invoke(b"count")["Body"])


def log_of(answer):
    return base64.b64decode(answer["LogResult"]).decode()


# RequestResponse: the handler's bytes; no log without Tail.
answer = invoke(b"hello")
assert answer["StatusCode"] == 200, answer
assert answer["Body"] == b"hello", answer
assert "FunctionError" not in answer and "LogResult" not in answer, answer

# Tail: the handler's stderr lines, and only the last 4 KB of a long log.
answer = invoke(b"lines:3", LogType="Tail")
assert answer["Body"] == b"logged", answer
log = log_of(answer)
for i in 1, 2, 3:
    assert f"probe log line {i}\n" in log, log
answer = invoke(b"lines:1000", LogType="Tail")
log = log_of(answer)
assert len(log) == 4096, len(log)
assert "probe log line 1000\nEND RequestId: " in log, log[-300:]
assert "probe log line 1\n" not in log
assert "LogResult" not in invoke(b"lines:1", LogType="None"), "None: no log"
# A handler that logs nothing: LogResult is still there, with Lambda's START, END and REPORT.
answer = invoke(b"quiet", LogType="Tail")
request_id = answer["ResponseMetadata"]["RequestId"]
log = log_of(answer)
for line in f"START RequestId: {request_id} Version: $LATEST", f"END RequestId: {request_id}", f"REPORT RequestId: {request_id}\tDuration: ":
    assert line in log, (line, log)
# The REPORT line as Lambda writes it, with the figures tools read from it.
report = rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 3008 MB\tMax Memory Used: [1-9]\d* MB\t"
assert re.search(report, log), (report, log)

# Event runs the handler after a 202; DryRun answers 204 and does not run it.
before = count()
answer = invoke(b"count", InvocationType="Event")
assert answer["StatusCode"] == 202 and answer["Body"] == b"", answer
assert count() == before + 2, "the Event invocation ran"
answer = invoke(b"count", InvocationType="DryRun")
assert answer["StatusCode"] == 204 and answer["Body"] == b"", answer
assert count() == before + 3, "the DryRun invocation did not run"

# An Event is answered at once whatever runs, and runs once: a caller with a 1 s read timeout
# (and retries) sends one while a 2.5 s invocation runs. Before, its 202 waited for the server:
# boto3 timed out, retried, and the event ran two or three times.
impatient = lambda_client(3, 1)
before = count()
slow = threading.Thread(target=invoke, args=(b"sleep:2500",))
slow.start()
time.sleep(0.5)
answer = impatient.invoke(FunctionName="function", Payload=b"count", InvocationType="Event")
assert answer["StatusCode"] == 202, answer
assert answer["ResponseMetadata"]["RetryAttempts"] == 0, answer["ResponseMetadata"]
slow.join()
assert count() == before + 3, "the sleep, the Event once, and this count"

# Failures: the function's error, and a panic, as Unhandled with the error document.
answer = invoke(b'error:it "broke"')
assert answer["FunctionError"] == "Unhandled", answer
error = json.loads(answer["Body"])
assert error["errorType"] == "Function.Probe" and error["errorMessage"] == 'it "broke"', error
answer = invoke(b"panic", LogType="Tail")
error = json.loads(answer["Body"])
assert error["errorType"] == "Runtime.HandlerPanic", error
assert "probe panic" in error["errorMessage"], error
assert "panicked at" in log_of(answer), "the panic's log line is in the tail"

# Refusals carry AWS's error shape: the SDK shows the type and the message.
try:
    invoke(b"x" * (6 * 1024 * 1024 + 1))
    raise AssertionError("a 6 MB + 1 event was served")
except client.exceptions.RequestTooLargeException as e:
    assert e.response["Error"]["Code"] == "RequestTooLargeException", e.response
    assert "6291456" in e.response["Error"]["Message"], e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 413, e.response
try:
    invoke(b"", InvocationType="Later")
    raise AssertionError("an unknown invocation type was served")
except client.exceptions.InvalidParameterValueException as e:
    assert "X-Amz-Invocation-Type" in e.response["Error"]["Message"], e.response


def stream(payload, **kwargs):
    """InvokeWithResponseStream: the payload chunks joined, and InvokeComplete."""
    answer = client.invoke_with_response_stream(
        FunctionName="function", Payload=payload, **kwargs
    )
    assert answer["StatusCode"] == 200, answer
    assert answer["ExecutedVersion"] == "$LATEST", answer
    chunks, complete = [], None
    for event in answer["EventStream"]:
        assert complete is None, "nothing after InvokeComplete"
        if "PayloadChunk" in event:
            chunks.append(event["PayloadChunk"]["Payload"])
        else:
            complete = event["InvokeComplete"]
    assert complete is not None, "the stream ends with InvokeComplete"
    return b"".join(chunks), complete


def pattern(n):
    return bytes(i % 251 for i in range(n))


# A streamed response, beyond one event's size, byte for byte.
body, complete = stream(b"stream:3000000:65536")
assert body == pattern(3000000), len(body)
assert "ErrorCode" not in complete and "LogResult" not in complete, complete
# A buffered response comes as one chunk; Tail puts the log in InvokeComplete.
body, complete = stream(b"lines:2", LogType="Tail")
assert body == b"logged", body
assert "probe log line 2\n" in base64.b64decode(complete["LogResult"]).decode(), complete
# Failures, mid-stream or not, are InvokeComplete's ErrorCode and ErrorDetails.
for payload, prefix, code, message in [
    (b"stream-fail:100", 100, "Function.StreamProbe", "failed mid-stream"),
    (b"stream-panic:100", 100, "Runtime.HandlerPanic", "probe panic mid-stream"),
    (b"error:bad", 0, "Function.Probe", "bad"),
    (b"panic", 0, "Runtime.HandlerPanic", "probe panic"),
    # A crash mid-stream ends the stream too, not "Response ended prematurely".
    (b"stream-crash:100", 100, "Runtime.ExitError", "Runtime exited"),
    # The longest messages' documents are ErrorDetails whole.
    (b"error:" + b'"' * 4096, 0, "Function.Probe", '"' * 4096),
    (b"error:" + b"\x01" * 2400, 0, "Function.Probe", "\x01" * 2400),
]:
    body, complete = stream(payload)
    assert body == pattern(prefix), (payload, body[:50])
    assert complete["ErrorCode"] == code, (payload, complete)
    details = json.loads(complete["ErrorDetails"])
    assert details["errorType"] == code and message in details["errorMessage"], complete
# DryRun: 204 and no run.
before = count()
answer = client.invoke_with_response_stream(
    FunctionName="function", Payload=b"count", InvocationType="DryRun"
)
assert answer["StatusCode"] == 204, answer
assert count() == before + 1, "the DryRun stream did not run"

print("boto3", boto3.__version__, "ok")
