/**
 * The roofline for the Invoke benchmark: a bare node:http server that runs the same module
 * in-process, a fresh instance per request (the isolation an edge gives each call), answering
 * `{"result": N}`. No registry, no pool, no worker hop: what the request path costs at least.
 *
 *   node dist/test/bench/roofline.js FILE.wasm   (prints {"port": N} when listening)
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
const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { dataset: number[] } | number[]
    const dataset = Array.isArray(body) ? body : body.dataset
    const instance = new WebAssembly.Instance(module, {})
    const { memory, execute, alloc } = instance.exports as unknown as SumExports
    const bytes = dataset.length * 4
    const ptr = alloc === undefined ? 0 : alloc(bytes)
    if (memory.buffer.byteLength < ptr + bytes) {
      memory.grow(Math.ceil((ptr + bytes - memory.buffer.byteLength) / 65_536))
    }
    new Int32Array(memory.buffer, ptr, dataset.length).set(dataset)
    const answer = JSON.stringify({ result: execute(ptr, dataset.length) })
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
