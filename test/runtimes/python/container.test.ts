import { existsSync } from 'node:fs'
import t from 'tap'
import type { CallOutcome } from '../../../lib/runtimes/contract.js'
import { PyContainer } from '../../../lib/runtimes/python/container.js'
import { pythonFunction } from '../../../lib/runtimes/python/function.js'
import { snapshot } from '../../../lib/runtimes/python/snapshot.js'
import { ContainerBroken } from '../../../lib/runtimes/warm.js'

// Python containers (Pyodide in a V8 context of its own) run AWS-style handlers: the event and
// the answer as JSON, AWS's context and environment, print and logging as the call's log, AWS's
// error shapes; module state stays warm in a container and never crosses to another function;
// hostile code ends as a typed error or a Python exception, never with host access.

const CONTEXT = {
  requestId: 'c0ffee00-0000-4000-8000-000000000001',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-west-sfo:000000000000:function:fn'
}

async function container(
  files: Record<string, string>,
  options: { handler?: string; memoryMb?: number; environment?: Record<string, string> } = {}
): Promise<PyContainer> {
  const fn = pythonFunction({
    functionName: 'fn',
    sha256: 'test',
    handler: options.handler ?? 'lambda_function.lambda_handler',
    files: new Map(Object.entries(files)),
    environment: options.environment ?? {},
    memoryMb: options.memoryMb ?? 128,
    region: 'us-west-sfo',
    runtime: 'python3.12'
  })
  return PyContainer.create(fn.spec, await snapshot())
}

/** A handler's body as lambda_function.py. */
const handler = (body: string) => ({
  'lambda_function.py': `def lambda_handler(event, context):\n    ${body.replaceAll('\n', '\n    ')}\n`
})

function call(c: PyContainer, event = '{}', timeoutMs = 3_000): CallOutcome | ContainerBroken {
  try {
    return c.invoke(Buffer.from(event), CONTEXT, timeoutMs, Date.now())
  } catch (err) {
    if (err instanceof ContainerBroken) return err
    throw err
  }
}

function answer(outcome: CallOutcome | ContainerBroken): string {
  if (outcome instanceof ContainerBroken || !outcome.ok) {
    throw new Error(`not an answer: ${JSON.stringify(outcome)}`)
  }
  return Buffer.from(outcome.output as ArrayBuffer).toString('utf8')
}

function failure(outcome: CallOutcome | ContainerBroken) {
  const value = outcome instanceof ContainerBroken ? outcome.outcome : outcome
  if (value.ok) throw new Error(`not a failure: ${JSON.stringify(value)}`)
  return { ...value, broken: outcome instanceof ContainerBroken ? outcome.why : null }
}

t.test('an AWS handler: event, context, environment, print and logging', async (t) => {
  const c = await container(
    {
      'lambda_function.py': [
        'import logging, os',
        'logger = logging.getLogger()',
        'def lambda_handler(event, context):',
        '    print("got", event["n"])',
        '    logger.warning("careful")',
        '    logger.info("not shown: the root logger is at WARNING, as on AWS")',
        '    return {',
        '        "twice": event["n"] * 2,',
        '        "context": [context.function_name, context.function_version,',
        '                    context.invoked_function_arn, context.memory_limit_in_mb,',
        '                    context.aws_request_id, context.log_group_name],',
        '        "stream": context.log_stream_name.endswith("/[$LATEST]c0ffee00000040008000000000000001"),',
        '        "remaining": 0 < context.get_remaining_time_in_millis() <= 3000,',
        '        "env": [os.environ["GREETING"], os.environ["AWS_LAMBDA_FUNCTION_NAME"],',
        '                os.environ["AWS_EXECUTION_ENV"], os.environ["LAMBDA_TASK_ROOT"]],',
        '        "none": None,',
        '    }'
      ].join('\n')
    },
    { environment: { GREETING: 'ahoy' } }
  )
  const outcome = call(c, '{"n":21}')
  t.match(answer(outcome), /^\{"twice": 42, "context": \["fn", /, 'json.dumps, as AWS writes it')
  t.same(JSON.parse(answer(outcome)), {
    twice: 42,
    context: [
      'fn',
      '$LATEST',
      CONTEXT.invokedFunctionArn,
      '128',
      CONTEXT.requestId,
      '/aws/lambda/fn'
    ],
    stream: true,
    remaining: true,
    env: ['ahoy', 'fn', 'AWS_Lambda_python3.12', '/var/task'],
    none: null
  })
  const logs = (outcome as { logs?: string }).logs ?? ''
  t.match(
    logs,
    new RegExp(
      `^got 21\\n\\[WARNING\\]\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${CONTEXT.requestId}\\tcareful\\n$`
    )
  )
  const echo = await container(handler('return event'))
  t.same([answer(call(echo, 'null')), answer(call(echo, '[1, "a"]'))], ['null', '[1, "a"]'])
})

t.test("AWS's error shapes", async (t) => {
  const raised = failure(call(await container(handler('raise ValueError("boom")'))))
  t.same(
    { code: raised.code, message: raised.message, fields: raised.fields },
    {
      code: 'FUNCTION_UNHANDLED',
      message: 'boom',
      fields: {
        errorType: 'ValueError',
        requestId: CONTEXT.requestId,
        stackTrace: JSON.stringify([
          '  File "/var/task/lambda_function.py", line 2, in lambda_handler\n    raise ValueError("boom")\n'
        ])
      }
    }
  )
  t.match(
    raised.logs,
    /^\[ERROR\] ValueError: boom\nTraceback \(most recent call last\):\n {2}File/
  )

  const imported = failure(
    call(await container({ 'lambda_function.py': 'import no_such_module\n' }))
  )
  t.same(
    [imported.message, imported.fields],
    [
      "Unable to import module 'lambda_function': No module named 'no_such_module'",
      { errorType: 'Runtime.ImportModuleError', requestId: CONTEXT.requestId, stackTrace: '[]' }
    ]
  )
  const missing = failure(call(await container({ 'lambda_function.py': 'x = 1\n' })))
  t.same(
    [missing.message, missing.fields?.errorType],
    ["Handler 'lambda_handler' missing on module 'lambda_function'", 'Runtime.HandlerNotFound']
  )
  const syntax = failure(call(await container({ 'lambda_function.py': 'def f(:\n' })))
  t.equal(syntax.fields?.errorType, 'Runtime.UserCodeSyntaxError')
  t.match(
    syntax.message,
    /^Syntax error in module 'lambda_function': .*\(lambda_function\.py, line 1\)$/
  )
  const marshal = failure(call(await container(handler('return {1, 2}'))))
  t.same(
    [marshal.message, marshal.fields?.errorType],
    [
      'Unable to marshal response: Object of type set is not JSON serializable',
      'Runtime.MarshalError'
    ]
  )
  const badEvent = failure(call(await container(handler('return 1')), '{"a":'))
  t.equal(badEvent.code, 'INVALID_REQUEST')
})

t.test('a package: modules in folders, a vendored dependency, a slashed handler', async (t) => {
  const c = await container(
    {
      'app/__init__.py': '',
      'app/main.py':
        'from app.util import double\nimport tinydep\ndef run(event, context):\n    return [double(event), tinydep.NAME]\n',
      'app/util.py': 'def double(x):\n    return x * 2\n',
      'tinydep/__init__.py': 'NAME = "tinydep " + __name__\n',
      'data/table.json': '{"k": "v"}'
    },
    { handler: 'app/main.run' }
  )
  t.equal(answer(call(c, '21')), '[42, "tinydep tinydep"]')
  const reader = await container({
    ...handler('import json\nreturn json.load(open("data/table.json"))["k"]'),
    'data/table.json': '{"k": "v"}'
  })
  t.equal(answer(call(reader)), '"v"', 'a data file read relative to the task root')
})

t.test('module state stays warm in one function and never crosses to another', async (t) => {
  const counter = handler('global count\ncount = globals().get("count", 0) + 1\nreturn count')
  const a = await container(counter)
  const b = await container(counter)
  t.same([answer(call(a)), answer(call(a)), answer(call(a))], ['1', '2', '3'])
  t.equal(answer(call(b)), '1', "another function's container starts from scratch")
  const patcher = await container(
    handler(
      'import builtins, json\nbuiltins.len = lambda x: 99\njson.dumps = lambda *a, **k: "patched"\nreturn 1'
    )
  )
  t.equal(answer(call(patcher)), 'patched', 'its own json.dumps is patched')
  t.equal(answer(call(b)), '2', 'builtins and json patched elsewhere are not patched here')
})

t.test('hostile code: typed errors or Python exceptions, never host access', async (t) => {
  const marker = `/tmp/swarm-lambda-python-pwned-${process.pid}`
  const cases: [string, string, (o: ReturnType<typeof failure> | string) => void][] = [
    [
      'while True: pass',
      'a loop',
      (o) => t.match(o, { code: 'FUNCTION_TIMEOUT', broken: 'timeout' })
    ],
    [
      'import time\ntime.sleep(1000)',
      'a handler that never returns',
      (o) => t.match(o, { code: 'FUNCTION_TIMEOUT', broken: 'timeout' })
    ],
    [
      'x = "a" * 10**10',
      "'a' * 10**10",
      (o) => t.match(o, { code: 'FUNCTION_UNHANDLED', fields: { errorType: 'OverflowError' } })
    ],
    [
      'l = []\nwhile True: l.append("x" * 1000000)',
      'a list-growing memory bomb',
      (o) => t.match(o, { code: 'FUNCTION_MEMORY_LIMIT', broken: 'memory' })
    ],
    [
      'def f(n): return f(n + 1)\nf(0)',
      'deep recursion',
      (o) => t.match(o, { code: 'FUNCTION_UNHANDLED', fields: { errorType: 'RecursionError' } })
    ],
    [`import os\nreturn os.system("touch ${marker}")`, 'os.system', (o) => t.equal(o, '-1')],
    [
      'return open("/etc/passwd").read()',
      "open('/etc/passwd')",
      (o) => t.match(o, { fields: { errorType: 'FileNotFoundError' } })
    ],
    [
      'import socket\ns = socket.socket()\ns.connect(("127.0.0.1", 22))\nreturn "connected"',
      'import socket; connect',
      (o) => t.match(o, { fields: { errorType: 'OSError' } })
    ],
    [
      'import subprocess\nreturn subprocess.run(["id"]).returncode',
      'subprocess',
      (o) => t.match(o, { code: 'FUNCTION_UNHANDLED' })
    ],
    [
      'import sys\nsys.exit(3)',
      'sys.exit',
      (o) =>
        t.match(o, {
          message: 'Runtime exited with error: exit status 3',
          fields: { errorType: 'Runtime.ExitError' },
          broken: 'exit'
        })
    ],
    [
      'from pyodide.code import run_js\nreturn run_js("[typeof process, typeof require, typeof read, typeof load, typeof loadPyodide].join()")',
      "JavaScript's globals",
      (o) => t.equal(o, '"undefined,undefined,undefined,undefined,undefined"')
    ],
    [
      'from pyodide.code import run_js\nreturn run_js("[globalThis.constructor, this.constructor, (() => 0).constructor].map(c => c.constructor(\'return typeof process\')()).join()")',
      'constructor chains',
      (o) => t.equal(o, '"undefined,undefined,undefined"')
    ],
    [
      "from pyodide.code import run_js\nreturn run_js(\"Error.prepareStackTrace = (e, s) => s.map(c => { const x = c.getThis(); return x && x.constructor ? x.constructor.constructor('return typeof process')() : '-' }).join(); new Error().stack\")",
      'stack frames',
      (o) => t.notMatch(o, /object/)
    ],
    [
      'from pyodide.code import run_js\nrun_js("import(\'node:child_process\').catch(() => {})")\nreturn "ok"',
      'dynamic import',
      (o) => t.equal(o, '"ok"')
    ],
    [
      'import pyodide_js\npyodide_js.mountNodeFS("/host", "/")',
      'mountNodeFS',
      (o) => t.match(o, { message: /mountNodeFS only works in Node/ })
    ]
  ]
  for (const [body, what, check] of cases) {
    const c = await container(handler(body))
    // Loops meet a 1 s deadline; the rest get room to finish on a loaded machine.
    const outcome = call(c, '{}', /while True|sleep/.test(body) ? 1_000 : 20_000)
    const ok = !(outcome instanceof ContainerBroken) && outcome.ok
    check(ok ? answer(outcome) : failure(outcome))
    t.comment(what)
  }
  t.notOk(existsSync(marker), 'os.system ran nothing on the host')
  // import() is refused: its promise rejects (seen by the next call, once the loop has turned).
  const importer = await container(
    handler(
      'from pyodide.code import run_js\nif event.get("read"):\n    return run_js("globalThis.seen")\nrun_js("import(\'node:fs\').then(() => { globalThis.seen = \'imported\' }, (e) => { globalThis.seen = e.code })")\nreturn "sent"'
    )
  )
  t.equal(answer(call(importer)), '"sent"')
  await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(answer(call(importer, '{"read": true}')), '"ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING"')
})
