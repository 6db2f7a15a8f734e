import t from 'tap'
import { ModuleValidator } from '../../lib/wasm/validator.js'
import { WasmPool } from '../../lib/executor/pool.js'
import { SEED_WASM_BASE64, SUM_EXECUTE, wat } from './wat.js'

t.test('validates off the main thread; the compiled module runs on the pool', async (t) => {
  const validator = new ModuleValidator()
  const pool = new WasmPool({ size: 1, spares: 0 })
  t.teardown(async () => {
    await validator.close()
    await pool.close()
  })
  const fn = await validator.validate(Buffer.from(SEED_WASM_BASE64, 'base64'), { memoryPages: 16 })
  t.equal(fn.abi, 'v1')
  t.ok(fn.module instanceof WebAssembly.Module, 'a compiled module crossed the thread')
  const out = await pool.run(fn, { input: Int32Array.of(10, 20, 30, 40), timeoutMs: 1000 })
  t.equal(out.result, 100)
})

t.test('refusals keep their codes across the thread', async (t) => {
  const validator = new ModuleValidator()
  t.teardown(() => validator.close())
  const results = await Promise.allSettled([
    validator.validate(Buffer.from('nope'), { memoryPages: 16 }),
    validator.validate(
      wat(`(module (memory (export "memory") 1) (func $s) (start $s) ${SUM_EXECUTE})`),
      {
        memoryPages: 16
      }
    ),
    validator.validate(Buffer.from(SEED_WASM_BASE64, 'base64'), { memoryPages: 0 })
  ])
  t.same(
    results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok')),
    ['WASM_INVALID', 'WASM_START_SECTION', 'INVALID_LIMIT']
  )
})

t.test('after close, validation is refused', async (t) => {
  const validator = new ModuleValidator()
  await validator.close()
  await validator.close()
  await t.rejects(validator.validate(Buffer.from('x'), { memoryPages: 1 }), {
    code: 'EXECUTOR_CLOSED'
  })
})
