import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import vm from 'node:vm'

/**
 * Where Python runs: one Pyodide interpreter in a V8 context of its own (node:vm) that holds no
 * Node.js capability. Pyodide's Python can reach JavaScript (`import js`, `pyodide.code.run_js`),
 * so the JavaScript it reaches must be harmless: the context has no `process`, no `require`, no
 * dynamic `import()` (no callback given, so it rejects), and it never holds an object of this
 * realm — every host function is called through a wrapper defined in the context that copies
 * what comes back and turns a host error into one of its own, so no host prototype, hence no
 * host `Function`, is ever in reach. Pyodide loads in its "shell" mode (d8's read/load globals,
 * served from Pyodide's own four files and removed once it is up). The interpreter's
 * `WebAssembly.Memory` is created with the function's cap as its maximum. A deadline reaches
 * Python through the interrupt buffer, whose slot is a getter here that answers SIGINT once the
 * deadline has passed (checked by CPython's eval loop; worker termination stays the backstop).
 */

const PYODIDE_DIR = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'))
/** The only files the loader may read, by name. */
const FILES = ['pyodide.asm.js', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json']
const fileCache = new Map<string, Buffer>()

/** The part of Pyodide's API used here (an object of the interpreter's context). */
export interface Pyodide {
  runPython(code: string): unknown
  globals: { get(name: string): unknown }
  FS: {
    mkdirTree(path: string): void
    writeFile(path: string, data: string): void
  }
  makeMemorySnapshot(): Uint8Array
}

/** What the host holds of a context: functions defined in it, closing over its state. */
interface Control {
  /** Resolves with the interpreter (or rejects with a context error's message). */
  load(options: { snapshot: Uint8Array | null; makeSnapshot: boolean }): Promise<Pyodide>
  /** From now on Python is interrupted once Date.now() passes this (Infinity: never). */
  setDeadline(at: number): void
  /** The interpreter's printed lines since the last drain, newline-terminated. */
  drain(): string
  /** The interpreter memory's size, bytes. */
  memoryBytes(): number
  /** A context copy of host bytes (a snapshot). */
  copyIn(bytes: Uint8Array): Uint8Array
  /** Calls a Python callable with one string; a string back, or null when it gave another type. */
  call(fn: unknown, arg: string): string | null
}

export class Realm {
  private constructor(
    readonly pyodide: Pyodide,
    private readonly control: Control
  ) {}

  /**
   * A new interpreter capped at `memoryMb`: from a memory snapshot (a few hundred ms) or, with
   * none, booted (seconds); `makeSnapshot` boots one that can be snapshotted.
   */
  static async create(options: {
    memoryMb: number
    snapshot: Uint8Array | null
    makeSnapshot?: boolean
  }): Promise<Realm> {
    // A null-prototype sandbox: the context's global must not lead to this realm's Object.
    const context = vm.createContext(Object.create(null) as object, { name: 'python' })
    const install = vm.runInContext(INSTALL, context) as (host: Host) => Control
    const control = install({
      text: (name) => file(name).toString('utf8'),
      bytes: (name) => file(name),
      run: (name) => void vm.runInContext(file(name).toString('utf8'), context, { filename: name }),
      random: (view) => void crypto.getRandomValues(view),
      decode: (view) => UTF8_DECODER.decode(view),
      encode: (text) => UTF8_ENCODER.encode(text),
      btoa: (text) => btoa(text),
      atob: (text) => atob(text),
      pages: options.memoryMb * 16,
      indexURL: `${PYODIDE_DIR}/`
    })
    vm.runInContext(file('pyodide.js').toString('utf8'), context, { filename: 'pyodide.js' })
    const snapshot = options.snapshot === null ? null : control.copyIn(options.snapshot)
    const pyodide = await control.load({ snapshot, makeSnapshot: options.makeSnapshot === true })
    return new Realm(pyodide, control)
  }

  /** Python is interrupted (KeyboardInterrupt) once `Date.now()` passes `at`. */
  deadline(at: number): void {
    this.control.setDeadline(at)
  }

  /** Lines printed since the last call, newline-terminated. */
  output(): string {
    return this.control.drain()
  }

  /** Calls a Python callable of this interpreter with a string; its string answer or null. */
  call(fn: unknown, arg: string): string | null {
    return this.control.call(fn, arg)
  }

  /** What the interpreter weighs: its memory (the JS around it is counted by the caller). */
  get memoryBytes(): number {
    return this.control.memoryBytes()
  }

  /** A snapshot of a booted (`makeSnapshot`) interpreter, as host bytes. */
  snapshot(): Uint8Array {
    const inside = this.pyodide.makeMemorySnapshot()
    const bytes = new Uint8Array(inside.length)
    bytes.set(inside)
    return bytes
  }
}

const UTF8_DECODER = new TextDecoder()
const UTF8_ENCODER = new TextEncoder()

/** Host functions handed to the context's installer (it wraps each; none is kept in reach). */
interface Host {
  text(name: string): string
  bytes(name: string): Uint8Array
  run(name: string): void
  random(view: Uint8Array): void
  decode(view: Uint8Array): string
  encode(text: string): Uint8Array
  btoa(text: string): string
  atob(text: string): string
  pages: number
  indexURL: string
}

/** One of Pyodide's files (read once per worker), by name or by the path the loader asks for. */
function file(path: string): Buffer {
  const name = path.startsWith(PYODIDE_DIR) ? path.slice(PYODIDE_DIR.length + 1) : path
  if (!FILES.includes(name) && name !== 'pyodide.js') throw new Error(`not a Pyodide file`)
  let bytes = fileCache.get(name)
  if (bytes === undefined) fileCache.set(name, (bytes = readFileSync(join(PYODIDE_DIR, name))))
  return bytes
}

/**
 * Runs in the context: installs what Pyodide's shell mode needs (each host call wrapped), caps
 * WebAssembly memories, and returns the control functions. Intrinsics are captured first, so
 * code run later in the context cannot redirect them.
 */
const INSTALL = `(function install(host) {
  'use strict'
  const U8 = Uint8Array, apply = Reflect.apply, set = U8.prototype.set, Err = Error
  const now = Date.now, fromCharCode = String.fromCharCode, defineProperty = Object.defineProperty
  const Memory = WebAssembly.Memory
  const bufferOf = Object.getOwnPropertyDescriptor(Memory.prototype, 'buffer').get
  const byteLengthOf = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get
  const calling = (what, fn, args) => {
    try { return apply(fn, undefined, args) } catch { throw new Err(what + ' failed') }
  }
  const copy = (view) => { const out = new U8(view.length); apply(set, out, [view]); return out }
  const text = (value) => typeof value === 'string' ? value : ''
  let memory = null
  let deadline = Infinity
  let lines = []
  const G = globalThis
  G.read = (path, mode) => mode === 'binary' ? G.readbuffer(path) : text(calling('read', host.text, ['' + path]))
  G.readbuffer = (path) => copy(calling('read', host.bytes, ['' + path])).buffer
  G.load = (path) => { calling('load', host.run, ['' + path]) }
  G.performance = { now: () => now(), timeOrigin: 0 }
  G.crypto = { getRandomValues: (view) => { calling('random', host.random, [view]); return view } }
  G.btoa = (s) => text(calling('btoa', host.btoa, ['' + s]))
  G.atob = (s) => text(calling('atob', host.atob, ['' + s]))
  G.TextDecoder = class TextDecoder {
    get encoding() { return 'utf-8' }
    decode(view) { return view === undefined ? '' : text(calling('decode', host.decode, [view])) }
  }
  G.TextEncoder = class TextEncoder {
    get encoding() { return 'utf-8' }
    encode(s = '') { return copy(calling('encode', host.encode, ['' + s])) }
    encodeInto(s, dest) {
      const out = this.encode(s)
      if (out.length > dest.length) throw new RangeError('encodeInto: the destination is too small')
      apply(set, dest, [out])
      return { read: ('' + s).length, written: out.length }
    }
  }
  // Emscripten's shell mode draws random bytes through d8's os.system("head -cN /dev/urandom | base64").
  G.os = { system: (sh, args) => {
    const n = +(/head -c(\\d+)/.exec('' + args[1]) || [0, 0])[1]
    const view = new U8(n)
    G.crypto.getRandomValues(view)
    let s = ''
    for (let i = 0; i < n; i++) s += fromCharCode(view[i])
    return G.btoa(s)
  } }
  const Capped = function CappedMemory(descriptor) {
    if (descriptor.shared) return new Memory(descriptor)
    const pages = host.pages
    const made = new Memory({ initial: descriptor.initial, maximum: Math.min(descriptor.maximum ?? pages, pages) })
    if (memory === null) memory = made
    return made
  }
  Capped.prototype = Memory.prototype
  WebAssembly.Memory = Capped
  delete WebAssembly.instantiateStreaming
  delete WebAssembly.compileStreaming
  const interrupt = { length: 1 }
  defineProperty(interrupt, 0, { get: () => (now() > deadline ? 2 : 0), set: () => {} })
  const indexURL = '' + host.indexURL
  return {
    async load(options) {
      const config = {
        indexURL,
        stdout: (line) => { lines[lines.length] = '' + line },
        stderr: (line) => { lines[lines.length] = '' + line }
      }
      if (options.snapshot !== null) config._loadSnapshot = options.snapshot
      if (options.makeSnapshot) config._makeSnapshot = true
      let pyodide
      try { pyodide = await G.loadPyodide(config) } catch (e) { throw new Err('Pyodide did not start: ' + (e && e.message)) }
      // The loader's way to host files goes (loadPyodide is a var: it cannot be deleted).
      for (const name of ['read', 'readbuffer', 'load']) delete G[name]
      G.loadPyodide = undefined
      pyodide.setInterruptBuffer(interrupt)
      return pyodide
    },
    setDeadline(at) { deadline = +at },
    drain() {
      let out = ''
      for (let i = 0; i < lines.length; i++) out += lines[i] + '\\n'
      lines = []
      return out
    },
    memoryBytes() { return memory === null ? 0 : apply(byteLengthOf, apply(bufferOf, memory, []), []) },
    copyIn(bytes) { return copy(bytes) },
    call(fn, arg) { const out = fn('' + arg); return typeof out === 'string' ? out : null }
  }
})`
