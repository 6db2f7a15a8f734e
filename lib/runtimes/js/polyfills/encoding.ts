import type { HostBridge } from '../bridge.js'

/**
 * Installs DOMException, TextEncoder, TextDecoder, atob and btoa on globalThis, backed by the host
 * bridge. Its source runs inside the sandbox (see index.ts), so everything it uses is defined in
 * its own body: no imports at run time, no module-level helpers, no Node globals. It runs first:
 * the other installers take DOMException from globalThis.
 */
export function installEncoding(host: HostBridge): void {
  'use strict'
  // Node's errors carry a code (and sometimes more) that handlers match on.
  const nodeError = (Type: ErrorConstructor, code: string, message: string) =>
    Object.assign(new Type(message), { code })
  const missingArg = (name: string) =>
    nodeError(TypeError, 'ERR_MISSING_ARGS', `The "${name}" argument must be specified`)
  const tagOf = (v: unknown) => Object.prototype.toString.call(v).slice(8, -1)
  // Brand-checked, unlike a Symbol.toStringTag lookup: a typed array's type name, else undefined.
  const typedArrayName = Object.getOwnPropertyDescriptor(
    Object.getPrototypeOf(Uint8Array.prototype),
    Symbol.toStringTag
  )!.get as (this: unknown) => string | undefined

  // Legacy DOMException codes in order (code = index + 1); the blanks are retired names.
  const domCodes = (
    'IndexSize,,HierarchyRequest,WrongDocument,InvalidCharacter,,NoModificationAllowed,NotFound,' +
    'NotSupported,,InvalidState,Syntax,InvalidModification,Namespace,InvalidAccess,,TypeMismatch,' +
    'Security,Network,Abort,URLMismatch,QuotaExceeded,Timeout,InvalidNodeType,DataClone'
  ).split(',')

  type DOMExceptionOptions = { name?: unknown; cause?: unknown }

  /** The web's error type: a name, a message and the legacy numeric code that goes with it. */
  class DOMException extends Error {
    #name: string
    constructor(message: unknown = '', options: unknown = 'Error') {
      const opts = Object(
        typeof options === 'object' ? options : { name: options }
      ) as DOMExceptionOptions
      super(`${message}`, 'cause' in opts ? { cause: opts.cause } : undefined)
      this.#name = opts.name === undefined ? 'Error' : `${opts.name}`
    }
    get code() {
      const base = this.#name.endsWith('Error') ? this.#name.slice(0, -5) : ''
      return base ? domCodes.indexOf(base) + 1 : 0
    }
    static {
      // A prototype getter, as on the web (TS won't let a class override Error's `name` with one).
      Object.defineProperty(this.prototype, 'name', {
        configurable: true,
        get(this: DOMException) {
          return this.#name
        }
      })
    }
  }

  /** UTF-8, as on the web; encodeInto is pure JS to stop before a character that won't fit. */
  class TextEncoder {
    get encoding() {
      return 'utf-8'
    }
    encode(input: unknown = '') {
      return new Uint8Array(host.utf8Encode(`${input}`))
    }
    encodeInto(source: unknown, dest: Uint8Array) {
      if (typedArrayName.call(dest) !== 'Uint8Array') {
        const message = 'The "dest" argument must be an instance of Uint8Array.'
        throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', message)
      }
      const s = `${source}`
      let read = 0
      let written = 0
      while (read < s.length) {
        let c = s.codePointAt(read)!
        const units = c > 0xffff ? 2 : 1
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd // a lone surrogate
        const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4
        if (written + n > dest.length) break
        dest[written] = [0, c, 0xc0, 0xe0, 0xf0][n]! | (c >> (6 * (n - 1)))
        for (let k = 1; k < n; k++) dest[written + k] = 0x80 | ((c >> (6 * (n - 1 - k))) & 0x3f)
        read += units
        written += n
      }
      return { read, written }
    }
  }

  const utf8Label = /^(unicode-1-1-utf-8|unicode11utf8|unicode20utf8|utf-?8|x-unicode20utf8)$/

  /** UTF-8 only; a stream holds back an incomplete trailing sequence until its next bytes come. */
  class TextDecoder {
    #fatal: boolean
    #ignoreBOM: boolean
    #pending = new Uint8Array(0)
    #started = false // past a stream's first bytes, where alone a BOM is dropped
    constructor(label: unknown = 'utf-8', options?: { fatal?: boolean; ignoreBOM?: boolean }) {
      if (!utf8Label.test(`${label}`.trim().toLowerCase())) {
        const message = `The "${label}" encoding is not supported`
        throw nodeError(RangeError, 'ERR_ENCODING_NOT_SUPPORTED', message)
      }
      this.#fatal = Boolean(options?.fatal)
      this.#ignoreBOM = Boolean(options?.ignoreBOM)
    }
    get encoding() {
      return 'utf-8'
    }
    get fatal() {
      return this.#fatal
    }
    get ignoreBOM() {
      return this.#ignoreBOM
    }
    decode(input?: ArrayBuffer | ArrayBufferView, options?: { stream?: boolean }) {
      let bytes: Uint8Array
      if (input === undefined) bytes = new Uint8Array(0)
      else if (ArrayBuffer.isView(input)) {
        bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      } else if (tagOf(input) === 'ArrayBuffer' || tagOf(input) === 'SharedArrayBuffer') {
        bytes = new Uint8Array(input)
      } else {
        const message =
          'The "list" argument must be an instance of SharedArrayBuffer, ArrayBuffer or ArrayBufferView.'
        throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', message)
      }
      if (this.#pending.length > 0) {
        const joined = new Uint8Array(this.#pending.length + bytes.length)
        joined.set(this.#pending)
        joined.set(bytes, this.#pending.length)
        bytes = joined
      }
      const stream = Boolean(options?.stream)
      let end = bytes.length
      for (let i = end - 1; stream && i >= 0 && i >= end - 3; i--) {
        const b = bytes[i]!
        if ((b & 0xc0) === 0x80) continue // a continuation byte: look further back for its lead
        if (i + (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1) > end) end = i
        break
      }
      this.#pending = bytes.slice(end)
      let text = ''
      if (end > 0) {
        const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
        const out = host.utf8Decode(bytes.slice(0, end).buffer as ArrayBuffer, this.#fatal)
        if (typeof out !== 'string') {
          this.#pending = new Uint8Array(0)
          this.#started = false
          const message = 'The encoded data was not valid for encoding utf-8'
          throw nodeError(TypeError, 'ERR_ENCODING_INVALID_ENCODED_DATA', message)
        }
        // The host always drops a leading BOM: put it back unless it opens the text.
        text = bom && (this.#ignoreBOM || this.#started) ? '\uFEFF' + out : out
        this.#started = true
      }
      if (!stream) this.#started = false
      return text
    }
  }

  /** Base64 to a latin1 string, decoded by the host. */
  function atob(input: unknown) {
    if (arguments.length === 0) throw missingArg('input')
    const out = host.base64Decode(`${input}`)
    if (typeof out !== 'string') throw new DOMException(out.error, 'InvalidCharacterError')
    return out
  }

  /** A latin1 string to base64, encoded by the host. */
  function btoa(input: unknown) {
    if (arguments.length === 0) throw missingArg('input')
    const text = `${input}`
    if (/[^\x00-\xff]/.test(text)) {
      throw new DOMException('Invalid character', 'InvalidCharacterError')
    }
    return host.base64Encode(text)
  }

  // Web globals are writable and configurable but not enumerable.
  const globals = { DOMException, TextEncoder, TextDecoder, atob, btoa }
  for (const [name, value] of Object.entries(globals)) {
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      enumerable: false,
      configurable: true
    })
  }
}
