import c from 'compact-encoding'
import t from 'tap'
import { decode, encode } from '../../lib/wire/codec.js'
import { codeBundle, functionRecord, type FunctionRecord } from '../../lib/wire/function-record.js'
import { executeReply, executeRequest } from '../../lib/wire/rpc.js'

// The stored and sent records a JS function added: function records v4 (runtime kind and
// environment; older versions still read), the code bundle, and the shard RPC's JS fields.

const blob = { byteOffset: 0, blockOffset: 1, blockLength: 2, byteLength: 300 }
const record: FunctionRecord = {
  name: 'greeter',
  sha256: 'ab'.repeat(32),
  size: 300,
  abi: 'json',
  kind: 'nodejs',
  reduce: 'sum',
  timeoutMs: 3_000,
  memoryMb: 128,
  headerItems: 0,
  concurrency: 2,
  maxDatasetItems: 0,
  runtime: 'nodejs20.x',
  role: 'arn:aws:iam::000000000000:role/x',
  handler: 'src/index.handler',
  description: 'hi',
  environment: { ZED: 'last', GREETING: 'ahoy' },
  version: 7,
  created: 1_700_000_000_000,
  modified: 1_700_000_000_500,
  deleted: false,
  blob
}

t.test('a version 4 record round-trips, its environment in name order', async (t) => {
  const bytes = encode(functionRecord, record)
  const back = decode(functionRecord, bytes)
  t.strictSame(back, record)
  t.strictSame(Object.keys(back.environment), ['GREETING', 'ZED'])
  const reordered = { ...record, environment: { GREETING: 'ahoy', ZED: 'last' } }
  t.ok(encode(functionRecord, reordered).equals(bytes), 'the same variables encode the same')
})

t.test(
  'a version 3 record (before runtimes) reads as a Wasm function with no environment',
  async (t) => {
    const v3 = {
      preencode(state: c.State, r: FunctionRecord) {
        this.encode(state, r, true)
      },
      encode(state: c.State, r: FunctionRecord, pre = false) {
        const op = <T>(codec: c.Encoder<T>, value: T) =>
          pre ? codec.preencode(state, value) : codec.encode(state, value)
        op(c.uint, 3)
        op(c.string, r.name)
        op(c.fixed32, Buffer.from(r.sha256, 'hex'))
        for (const n of [r.size, 0, 0, r.timeoutMs, r.memoryMb, 4, r.concurrency, 9]) op(c.uint, n)
        for (const s of [r.runtime, r.role, r.handler, r.description]) op(c.string, s)
        for (const n of [r.version, r.created, r.modified]) op(c.uint, n)
        op(c.bool, r.deleted)
        for (const n of [blob.byteOffset, blob.blockOffset, blob.blockLength, blob.byteLength]) {
          op(c.uint, n)
        }
      },
      decode(): FunctionRecord {
        throw new Error('write only')
      }
    }
    const old = decode(
      functionRecord,
      Buffer.from(c.encode(v3, { ...record, runtime: 'provided' }))
    )
    t.match(old, {
      abi: 'v1',
      reduce: 'sum',
      headerItems: 4,
      maxDatasetItems: 9,
      kind: 'wasm',
      environment: {},
      runtime: 'provided',
      version: 7,
      blob
    })
  }
)

t.test('a record of an unknown runtime or version is refused by name', async (t) => {
  const bytes = Buffer.from(encode(functionRecord, record))
  bytes[0] = 9
  t.throws(() => decode(functionRecord, bytes), { code: 'WIRE_INVALID', message: /version 9/ })
})

t.test('the code bundle is the files in path order, whatever the order given', async (t) => {
  const a = new Map([
    ['b.js', 'exports.b = 1'],
    ['a/index.js', 'exports.handler = () => "é"']
  ])
  const b = new Map([...a].reverse())
  const bytes = encode(codeBundle, a)
  t.ok(bytes.equals(encode(codeBundle, b)))
  t.strictSame(
    [...decode(codeBundle, bytes)],
    [...a].sort(([x], [y]) => (x < y ? -1 : 1))
  )
})

t.test('a JS shard carries its configuration; replies carry logs and error fields', async (t) => {
  const request = {
    token: Buffer.alloc(16, 1),
    requestId: 'req',
    sha256: 'cd'.repeat(32),
    abi: 'json' as const,
    memoryMb: 64,
    timeoutMs: 1_000,
    input: Buffer.from('{"dataset":[1]}'),
    config: {
      kind: 'nodejs' as const,
      functionName: 'f',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      environment: { A: '1' },
      invokedArn: 'arn:aws:lambda:x:000000000000:function:f',
      version: '7'
    }
  }
  const bytes = encode(executeRequest, request)
  const back = decode(executeRequest, bytes)
  t.strictSame(back.config, request.config)
  // A version 3 request (an older member's) has no version: it ran $LATEST.
  const v3 = Buffer.concat([Buffer.from([3]), bytes.subarray(1, bytes.length - 2)])
  t.strictSame(decode(executeRequest, v3).config, { ...request.config, version: '$LATEST' })
  t.throws(() => decode(executeRequest, Buffer.concat([Buffer.from([5]), bytes.subarray(1)])), {
    code: 'WIRE_INVALID'
  })
  t.equal(Buffer.from(back.input).toString(), '{"dataset":[1]}')
  const wasm = decode(
    executeRequest,
    encode(executeRequest, { ...request, abi: 'v1', input: new Int32Array([1]), config: null })
  )
  t.equal(wasm.config, null)

  const ok = decode(
    executeReply,
    encode(executeReply, {
      ok: true,
      token: request.token,
      result: 1,
      micros: 5,
      output: null,
      payload: Buffer.from('1'),
      logs: 'line\n'
    })
  )
  t.match(ok, { ok: true, logs: 'line\n' })
  const failed = decode(
    executeReply,
    encode(executeReply, {
      ok: false,
      code: 'FUNCTION_UNHANDLED',
      message: 'boom',
      fields: { errorType: 'TypeError', trace: '["TypeError: boom"]' },
      logs: 'x\n'
    })
  )
  t.strictSame(failed, {
    ok: false,
    code: 'FUNCTION_UNHANDLED',
    message: 'boom',
    fields: { errorType: 'TypeError', trace: '["TypeError: boom"]' },
    logs: 'x\n'
  })
})
