/**
 * The Python side of a container, run once in its interpreter after the function's files are
 * written under /var/task: AWS's runtime as a handler sees it (sys.path, os.environ, a `context`
 * with AWS's attributes, `logging` lines in AWS's format, the handler imported once, AWS's error
 * types and shapes). `_swarm_init_json('[environment_json, module, name]')` imports the handler
 * and answers '' or a failure; `_swarm_invoke(envelope)` runs one call. Neither ever raises: each
 * answer is one status letter, then its text:
 *   R<json>   the handler's return value, json.dumps'd (AWS's rules: None → null)
 *   E<json>   {errorMessage, errorType, stackTrace}: the handler (or its import) failed
 *   B<text>   the event is not JSON
 *   T         interrupted at the deadline
 *   M         out of memory
 *   X<json>   the function called sys.exit (the container is not reused)
 * The envelope is "request_id\tinvoked_arn\tversion\tdeadline_ms\n" then the event's JSON.
 */
export const BOOTSTRAP = String.raw`
import importlib, json, logging, os, sys, time, traceback

class LambdaContext:
    def __init__(self, request_id, arn, version, deadline_ms):
        env = os.environ
        self.function_name = env.get('AWS_LAMBDA_FUNCTION_NAME', '')
        self.function_version = version
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = env.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '')
        self.aws_request_id = request_id
        self.log_group_name = env.get('AWS_LAMBDA_LOG_GROUP_NAME', '')
        self.log_stream_name = env.get('AWS_LAMBDA_LOG_STREAM_NAME', '')
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

class _RequestIdFilter(logging.Filter):
    request_id = ''
    def filter(self, record):
        record.aws_request_id = _RequestIdFilter.request_id
        return True

class _AwsFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):
        return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(record.created)) + '.%03dZ' % record.msecs

def _swarm_logging():
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_AwsFormatter('[%(levelname)s]\t%(asctime)s\t%(aws_request_id)s\t%(message)s'))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)

_swarm_handler = None
_swarm_sleep = time.sleep

def _swarm_sliced_sleep(seconds):
    # Pyodide's sleep blocks the thread in one wait; in slices, the deadline's interrupt lands
    # between two of them, as it does in a loop.
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        _swarm_sleep(min(left, 0.02))

time.sleep = _swarm_sliced_sleep

def _swarm_trace(tb):
    frames = [f for f in traceback.extract_tb(tb) if f.filename.startswith('/var/task/') or not f.filename.startswith('<')]
    return traceback.format_list(frames)

def _swarm_error(e, error_type=None, message=None, trace=True):
    return json.dumps({
        'errorMessage': str(e) if message is None else message,
        'errorType': error_type or type(e).__name__,
        'stackTrace': _swarm_trace(e.__traceback__) if trace else [],
    })

def _swarm_exit(e):
    return 'X' + json.dumps({'errorMessage': 'Runtime exited with error: exit status %s' % (e.code,), 'errorType': 'Runtime.ExitError', 'stackTrace': []})

def _swarm_guarded(run, failed):
    # What no handler may turn into an ordinary error: the deadline, the memory cap, sys.exit.
    try:
        return run()
    except KeyboardInterrupt:
        return 'T'
    except MemoryError:
        return 'M'
    except SystemExit as e:
        return _swarm_exit(e)
    except BaseException as e:
        return 'E' + failed(e)

def _swarm_import(environment_json, module, name):
    global _swarm_handler
    os.environ.clear()
    os.environ.update(json.loads(environment_json))
    sys.path.insert(0, '/var/task')
    os.chdir('/var/task')
    _swarm_logging()
    try:
        loaded = importlib.import_module(module)
    except SyntaxError as e:
        return 'E' + _swarm_error(e, 'Runtime.UserCodeSyntaxError', "Syntax error in module '%s': %s" % (module, e), False)
    except ImportError as e:
        return 'E' + _swarm_error(e, 'Runtime.ImportModuleError', "Unable to import module '%s': %s" % (module, e), False)
    handler = getattr(loaded, name, None)
    if handler is None or not callable(handler):
        why = 'missing on' if handler is None else 'is not callable on'
        return 'E' + json.dumps({'errorMessage': "Handler '%s' %s module '%s'" % (name, why, module), 'errorType': 'Runtime.HandlerNotFound', 'stackTrace': []})
    _swarm_handler = handler
    return ''

def _swarm_init_json(args):
    environment_json, module, name = json.loads(args)
    return _swarm_guarded(lambda: _swarm_import(environment_json, module, name),
                          lambda e: _swarm_error(e, None, "Unable to import module '%s': %s" % (module, e)))

def _swarm_call(envelope):
    head, _, payload = envelope.partition('\n')
    request_id, arn, version, deadline = head.split('\t')
    try:
        event = json.loads(payload) if payload.strip() else None
    except ValueError as e:
        return 'B' + str(e)
    _RequestIdFilter.request_id = request_id
    result = _swarm_handler(event, LambdaContext(request_id, arn, version, float(deadline)))
    try:
        return 'R' + json.dumps(result)
    except (TypeError, ValueError, OverflowError) as e:
        return 'E' + json.dumps({'errorMessage': 'Unable to marshal response: %s' % (e,), 'errorType': 'Runtime.MarshalError', 'stackTrace': []})

def _swarm_invoke(envelope):
    return _swarm_guarded(lambda: _swarm_call(envelope), _swarm_error)
`
