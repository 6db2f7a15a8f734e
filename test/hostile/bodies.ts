import { zipSync } from 'fflate'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'
import { mutate, type Input, Rng } from './support.js'

/**
 * Hostile JSON bodies, generated: mutated copies of valid requests (seeded, so a failure can be
 * replayed), every field of every body given every wrong type, limits just past their edge and
 * 100k-deep nesting. Also the valid bodies and modules the other inputs start from.
 */

/** The access key the hostile edge is started with. */
export const KEY = { id: 'hostile', secret: 'hostile-secret-0123456789' }
export const AUTH = { authorization: `Bearer ${KEY.id}:${KEY.secret}` }

export const SUM = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
export const SUM_B64 = Buffer.from(SUM).toString('base64')
/** ABI v2: answers with its payload. */
export const ECHO = wat(`(module (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "handle") (param $p i32) (param $l i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
            (i64.extend_i32_u (local.get $l)))))`)
export const SUM_ZIP_B64 = Buffer.from(zipSync({ 'sum.wasm': SUM })).toString('base64')

/** A JSON body. */
export const json = (value: unknown) => Buffer.from(JSON.stringify(value))
export const JSON_HEADERS = { ...AUTH, 'content-type': 'application/json' }

/** A JSON body with one value replaced by raw JSON text (which may be no valid JSON value). */
function withRaw(base: unknown, path: readonly string[], raw: string): Buffer {
  const marker = '\u0001raw\u0001'
  const copy = structuredClone(base) as Record<string, unknown>
  let at = copy
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>
  at[path[path.length - 1] as string] = marker
  return Buffer.from(JSON.stringify(copy).replace(JSON.stringify(marker), () => raw))
}

/** Raw JSON text of every wrong type, and huge, odd and borderline values. */
export const WRONG_VALUES = [
  'true',
  'false',
  'null',
  '0',
  '-1',
  '-0',
  '1.5',
  '1e308',
  '1e999',
  '-1e999',
  '9007199254740993',
  '123456789012345678901234567890',
  '4294967296',
  '2147483648',
  '""',
  '"x"',
  '" "',
  '"\\u0000"',
  '"\\ud800"',
  '"3"',
  '"-1"',
  '"1e3"',
  '"0x10"',
  '"NaN"',
  JSON.stringify('A'.repeat(70_000)),
  '[]',
  '[1]',
  '[[[]]]',
  '{}',
  '{"a":1}',
  '{"__proto__":{"polluted":1}}',
  '[' + '1,'.repeat(999) + '1]'
]

let named = 0
/** A fresh function name (a counter: the run stays the same for the same seed). */
export const NAMES = () => `n${(named++).toString(36).padStart(7, '0')}`

/** Valid requests: the bodies mutated and re-typed below. */
export function baseDeploy(name: string) {
  return {
    name,
    wasm_base64: SUM_B64,
    reduce: 'sum',
    timeoutMs: 1000,
    memoryMb: 16,
    headerItems: 0
  }
}
export function baseCreate(name: string) {
  return {
    FunctionName: name,
    Code: { ZipFile: SUM_ZIP_B64 },
    Runtime: 'provided.al2023',
    Role: 'arn:aws:iam::000000000000:role/none',
    Handler: 'execute',
    Description: 'hostile',
    Timeout: 3,
    MemorySize: 16,
    Environment: { Variables: { SWARMLAMBDA_REDUCE: 'sum', SWARMLAMBDA_HEADER_ITEMS: '0' } }
  }
}
export const INVOKE_SUM = '/2015-03-31/functions/sum/invocations'

/** Mutated copies of valid requests (flip, truncate, insert, splice JSON fragments). */
export function jsonMutations(rng: Rng, perBase: number): Input[] {
  const inputs: Input[] = []
  const bases: [string, string, () => unknown, number][] = [
    ['POST', '/functions', () => baseDeploy(NAMES()), perBase],
    ['POST', '/2015-03-31/functions', () => baseCreate(NAMES()), perBase],
    ['POST', INVOKE_SUM, () => ({ dataset: [1, 2, 3, 4, 5, 6, 7, 8] }), perBase],
    ['POST', INVOKE_SUM, () => [1, -2, 3, 2147483647], perBase / 2],
    ['POST', '/api/v1/jobs', () => ({ function: 'sum', dataset: [1, 2, 3] }), perBase],
    ['POST', '/api/v1/jobs', () => ({ wasm_base64: SUM_B64, dataset: [1, 2, 3] }), perBase / 2]
  ]
  for (const [method, path, base, count] of bases) {
    for (let i = 0; i < count; i++) {
      inputs.push({
        category: 'malformed JSON (mutated valid requests)',
        method,
        path,
        headers: JSON_HEADERS,
        body: mutate(rng, json(base()), true)
      })
    }
  }
  // Truncated at every length of a small valid body.
  const whole = json({ dataset: [10, 20, 30] })
  for (let n = 0; n < whole.length; n++) {
    inputs.push({
      category: 'malformed JSON (truncated)',
      method: 'POST',
      path: INVOKE_SUM,
      headers: AUTH,
      body: whole.subarray(0, n),
      expect: n === 0 ? 'INVALID_REQUEST' : undefined
    })
  }
  return inputs
}

/** Every field of every body, given every wrong value. */
export function wrongTypes(): Input[] {
  const inputs: Input[] = []
  const targets: [string, () => unknown, string[][]][] = [
    [
      '/functions',
      () => baseDeploy(NAMES()),
      [['name'], ['wasm_base64'], ['reduce'], ['timeoutMs'], ['memoryMb'], ['headerItems']]
    ],
    [
      '/2015-03-31/functions',
      () => baseCreate(NAMES()),
      [
        ['FunctionName'],
        ['Code'],
        ['Code', 'ZipFile'],
        ['Runtime'],
        ['Role'],
        ['Handler'],
        ['Description'],
        ['Timeout'],
        ['MemorySize'],
        ['Environment'],
        ['Environment', 'Variables'],
        ['Environment', 'Variables', 'SWARMLAMBDA_REDUCE'],
        ['Environment', 'Variables', 'SWARMLAMBDA_HEADER_ITEMS']
      ]
    ],
    [INVOKE_SUM, () => ({ dataset: [1, 2, 3] }), [['dataset'], ['dataset', '1']]],
    ['/api/v1/jobs', () => ({ function: 'sum', dataset: [1, 2, 3] }), [['function'], ['dataset']]],
    ['/api/v1/jobs', () => ({ function: 'sum', dataset: [1, 2, 3] }), [['dataset', '0']]],
    ['/api/v1/jobs', () => ({ wasm_base64: SUM_B64, dataset: [1] }), [['wasm_base64']]]
  ]
  for (const [path, base, fields] of targets) {
    for (const field of fields) {
      for (const raw of WRONG_VALUES) {
        inputs.push({
          category: 'wrong types in every field',
          method: 'POST',
          path,
          headers: JSON_HEADERS,
          body: withRaw(base(), field, raw)
        })
      }
    }
  }
  // Reserved concurrency takes one integer.
  for (const raw of WRONG_VALUES) {
    inputs.push({
      category: 'wrong types in every field',
      method: 'PUT',
      path: '/2017-10-31/functions/target/concurrency',
      headers: JSON_HEADERS,
      body: `{"ReservedConcurrentExecutions":${raw}}`
    })
  }
  // The whole body as each wrong value, on each endpoint.
  for (const path of ['/functions', '/2015-03-31/functions', INVOKE_SUM, '/api/v1/jobs']) {
    for (const raw of WRONG_VALUES) {
      inputs.push({
        category: 'wrong types in every field',
        method: 'POST',
        path,
        headers: JSON_HEADERS,
        body: raw
      })
    }
  }
  return inputs
}

/** Limits just past their edge, and numbers no field can hold. */
export function hugeNumbers(): Input[] {
  const deploy = (extra: Record<string, unknown>, expect: string): Input => ({
    category: 'huge numbers and limits',
    method: 'POST',
    path: '/functions',
    headers: JSON_HEADERS,
    body: json({ ...baseDeploy(NAMES()), ...extra }),
    expect
  })
  const inputs: Input[] = [
    deploy({ timeoutMs: 0 }, 'INVALID_PARAMETER'),
    deploy({ timeoutMs: 900_001 }, 'INVALID_PARAMETER'),
    deploy({ timeoutMs: Number.MAX_SAFE_INTEGER }, 'INVALID_PARAMETER'),
    deploy({ memoryMb: 0 }, 'INVALID_PARAMETER'),
    deploy({ memoryMb: 4096 }, 'INVALID_PARAMETER'),
    deploy({ memoryMb: -4096 }, 'INVALID_PARAMETER'),
    deploy({ headerItems: 1025 }, 'INVALID_PARAMETER'),
    deploy({ headerItems: -1 }, 'INVALID_PARAMETER'),
    deploy({ reduce: 'avg' }, 'INVALID_PARAMETER')
  ]
  const create = (extra: Record<string, unknown>, expect: string): Input => ({
    category: 'huge numbers and limits',
    method: 'POST',
    path: '/2015-03-31/functions',
    headers: JSON_HEADERS,
    body: json({ ...baseCreate(NAMES()), ...extra }),
    expect
  })
  inputs.push(
    create({ Timeout: 901 }, 'INVALID_PARAMETER'),
    create({ Timeout: 0 }, 'INVALID_PARAMETER'),
    create({ Timeout: 1e15 }, 'INVALID_PARAMETER'),
    create({ MemorySize: 1e9 }, 'INVALID_PARAMETER'),
    create(
      { Environment: { Variables: { SWARMLAMBDA_HEADER_ITEMS: '9999999999' } } },
      'INVALID_PARAMETER'
    ),
    create(
      { Environment: { Variables: { SWARMLAMBDA_HEADER_ITEMS: '2000' } } },
      'INVALID_PARAMETER'
    ),
    create({ Environment: { Variables: { SWARMLAMBDA_REDUCE: 'SUM' } } }, 'INVALID_PARAMETER')
  )
  for (const item of [
    '2147483648',
    '-2147483649',
    '1e21',
    '1e308',
    '1e999',
    '-1e999',
    '0.5',
    '4294967295',
    '9007199254740993'
  ]) {
    inputs.push({
      category: 'huge numbers and limits',
      method: 'POST',
      path: INVOKE_SUM,
      headers: AUTH,
      body: `{"dataset":[1,${item},3]}`,
      expect: 'INVALID_DATASET'
    })
    inputs.push({
      category: 'huge numbers and limits',
      method: 'POST',
      path: '/api/v1/jobs',
      headers: AUTH,
      body: `{"function":"sum","dataset":[${item}]}`,
      expect: 'INVALID_DATASET'
    })
  }
  return inputs
}

/** 100k nested arrays and objects, everywhere a value goes. */
export function deepNesting(depth = 100_000): Input[] {
  const arrays = '['.repeat(depth) + ']'.repeat(depth)
  const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
  const inputs: Input[] = []
  for (const nested of [arrays, objects]) {
    const bodies: [string, string][] = [
      [INVOKE_SUM, nested],
      [INVOKE_SUM, `{"dataset":${nested}}`],
      [INVOKE_SUM, `{"dataset":[${nested}]}`],
      [INVOKE_SUM, `[1,2,${nested}]`],
      ['/functions', nested],
      ['/functions', `{"name":${nested},"wasm_base64":"${SUM_B64}"}`],
      ['/2015-03-31/functions', `{"FunctionName":"x","Code":${nested}}`],
      ['/2015-03-31/functions', `{"FunctionName":"x","Environment":{"Variables":${nested}}}`],
      ['/api/v1/jobs', `{"function":"sum","dataset":${nested}}`],
      ['/api/v1/jobs', `{"function":"sum","dataset":[${nested}]}`]
    ]
    for (const [path, body] of bodies) {
      inputs.push({
        category: 'deep nesting (100k levels)',
        method: 'POST',
        path,
        headers: AUTH,
        body
      })
    }
  }
  return inputs
}
