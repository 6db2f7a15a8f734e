import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { strToU8, zipSync } from 'fflate'
import t from 'tap'
import { awsCli } from '../support/aws-cli.js'
import { startCli, startEdge, which } from '../support/processes.js'

// A Python function the way an AWS user makes one: the AWS CLI zips nothing itself, so the
// zip is made here from functions/python/hello; `aws lambda create-function --runtime
// python3.12` and every call after it go through the proxy to an edge process.

const REGION = 'us-west-sfo'
const ROLE = 'arn:aws:iam::000000000000:role/python-test'
const HELLO = fileURLToPath(
  new URL('../../../functions/python/hello/lambda_function.py', import.meta.url)
)

const aws = await which('aws')
t.test(
  'aws lambda with a python3.12 function, through the proxy',
  { skip: aws === null && 'no aws' },
  async (t) => {
    const home = t.testdir()
    const edge = await startEdge(t, join(home, 'edge'), { SWARMLAMBDA_REGION: REGION })
    const proxy = await startCli(
      t,
      ['proxy', '--edges', new URL(edge.url).host, '--port', '0', '--region', REGION],
      'proxy ready'
    )
    const endpoint = proxy.ready.url as string
    const cli = await awsCli(aws as string, home, REGION)
    const lambda = (args: string[]) => cli.ok('lambda', args, endpoint)
    const zipOf = async (name: string, files: Record<string, string>) => {
      const path = join(home, `${name}.zip`)
      const entries = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))
      await writeFile(path, zipSync(entries))
      return `fileb://${path}`
    }
    const invoke = async (name: string, payload: string) => {
      const outfile = join(home, `${name}.out`)
      const out = await lambda([
        'invoke',
        '--function-name',
        name,
        '--payload',
        payload,
        '--log-type',
        'Tail',
        outfile
      ])
      return {
        out,
        payload: await readFile(outfile, 'utf8'),
        log: Buffer.from(String(out.LogResult ?? ''), 'base64').toString('utf8')
      }
    }

    const created = await lambda([
      'create-function',
      '--function-name',
      'hello',
      '--runtime',
      'python3.12',
      '--handler',
      'lambda_function.lambda_handler',
      '--role',
      ROLE,
      '--zip-file',
      await zipOf('hello', { 'lambda_function.py': await readFile(HELLO, 'utf8') })
    ])
    t.match(created, {
      FunctionName: 'hello',
      Runtime: 'python3.12',
      Handler: 'lambda_function.lambda_handler'
    })
    const hello = await invoke('hello', '{"key1": "value1"}')
    t.equal(hello.out.StatusCode, 200)
    t.equal(hello.payload, '{"statusCode": 200, "body": "\\"Hello from Lambda!\\""}')
    t.match(
      hello.log,
      /^START RequestId: \S+ Version: \$LATEST\nevent: \{"key1": "value1"\}\nEND RequestId: /
    )

    await lambda([
      'create-function',
      '--function-name',
      'greeter',
      '--runtime',
      'python3.12',
      '--handler',
      'app.handle',
      '--role',
      ROLE,
      '--zip-file',
      await zipOf('greeter', {
        'app.py': [
          'import os',
          'def handle(event, context):',
          '    if event.get("fail"):',
          '        raise ValueError("no greeting for " + event["fail"])',
          '    return {"greeting": os.environ.get("GREETING", "hello"), "to": event["name"]}',
          ''
        ].join('\n')
      })
    ])
    t.equal(
      (await invoke('greeter', '{"name": "ada"}')).payload,
      '{"greeting": "hello", "to": "ada"}'
    )
    await lambda([
      'update-function-configuration',
      '--function-name',
      'greeter',
      '--environment',
      'Variables={GREETING=ahoy}'
    ])
    t.equal(
      (await invoke('greeter', '{"name": "ada"}')).payload,
      '{"greeting": "ahoy", "to": "ada"}',
      'the variable set by update-function-configuration is in os.environ'
    )

    const failed = await invoke('greeter', '{"fail": "bob"}')
    t.equal(failed.out.FunctionError, 'Unhandled')
    const error = JSON.parse(failed.payload) as Record<string, unknown>
    t.same(
      { ...error, requestId: typeof error.requestId },
      {
        errorMessage: 'no greeting for bob',
        errorType: 'ValueError',
        requestId: 'string',
        stackTrace: [
          '  File "/var/task/app.py", line 4, in handle\n    raise ValueError("no greeting for " + event["fail"])\n'
        ],
        errorCode: 'FUNCTION_UNHANDLED'
      }
    )
    t.match(
      failed.log,
      /\n\[ERROR\] ValueError: no greeting for bob\nTraceback \(most recent call last\):\n {2}File "\/var\/task\/app\.py", line 4, in handle\n/
    )
  }
)
