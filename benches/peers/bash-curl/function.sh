# The tutorial's function.sh with an echo handler (the tutorial's also logs the event to
# stderr and wraps it in text): answers the event unchanged. Loaded by ./bootstrap with
# _HANDLER=function.handler and LAMBDA_TASK_ROOT set to this directory.
function handler () {
  EVENT_DATA=$1
  printf '%s' "$EVENT_DATA"
}
