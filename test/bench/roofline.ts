/**
 * The rooflines for the Invoke benchmark: a bare node:http server that runs the same module
 * in-process, answering `{"result": N}`. No registry, no pool, no worker hop: what the request
 * path costs at least.
 * - fresh (the default): a new instance per request, the isolation an edge gives each call;
 * - `--reuse`: one instance made once and reused by every request (its memory grown as needed
 *   and never cleared), the limit with no isolation at all.
 *
 *   node dist/test/bench/roofline.js FILE.wasm [--reuse]   (prints {"port": N} when listening)
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

interface SumExports {
  memory: WebAssembly.Memory
  execute: (ptr: number, len: number) => number
  alloc?: (bytes: number) => number
}

const module = new WebAssembly.Module(readFileSync(process.argv[2] as string))
const reuse = process.argv.includes('--reuse')

/** The reused instance and the largest block it has handed out (reuse mode only). */
let kept: { exports: SumExports; ptr: number; bytes: number } | null = null

/** An instance and a pointer to `bytes` of its memory for the dataset. */
function instanceFor(bytes: number): { exports: SumExports; ptr: number } {
  if (reuse && kept !== null && kept.bytes >= bytes) return kept
  const exports = (kept?.exports ??
    new WebAssembly.Instance(module, {}).exports) as unknown as SumExports
  const ptr = exports.alloc === undefined ? 0 : exports.alloc(bytes)
  const { memory } = exports
  if (memory.buffer.byteLength < ptr + bytes) {
    memory.grow(Math.ceil((ptr + bytes - memory.buffer.byteLength) / 65_536))
  }
  if (reuse) kept = { exports, ptr, bytes }
  return { exports, ptr }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { dataset: number[] } | number[]
    const dataset = Array.isArray(body) ? body : body.dataset
    const { exports, ptr } = instanceFor(dataset.length * 4)
    new Int32Array(exports.memory.buffer, ptr, dataset.length).set(dataset)
    const answer = JSON.stringify({ result: exports.execute(ptr, dataset.length) })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(answer)
  })
})
server.listen(0, '127.0.0.1', () => {
  console.log(
    JSON.stringify({ msg: 'roofline ready', port: (server.address() as AddressInfo).port })
  )
})
process.once('SIGTERM', () => server.close(() => process.exit(0)))
