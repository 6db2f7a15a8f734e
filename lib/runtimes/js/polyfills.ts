import type { HostBridge, UrlRecord } from './bridge.js'

/**
 * Installs the web globals QuickJS lacks (DOMException, TextEncoder, TextDecoder, atob, btoa, URL,
 * URLSearchParams, crypto, structuredClone) on globalThis, backed by the host bridge. Its source
 * text runs inside the sandbox as `(<source>)(host)`, so everything it uses is defined in its own
 * body: no imports at run time, no module-level helpers, no Node globals.
 */
export function installPolyfills(host: HostBridge): void {
  'use strict'
  // Node's errors carry a code (and sometimes more) that handlers match on.
  const nodeError = (Type: ErrorConstructor, code: string, message: string, more = {}) =>
    Object.assign(new Type(message), { code, ...more })
  const missingArg = (name: string) =>
    nodeError(TypeError, 'ERR_MISSING_ARGS', `The "${name}" argument must be specified`)
  // Web globals and error fields are writable and configurable but not enumerable.
  const hidden = { writable: true, enumerable: false, configurable: true }
  const hide = (target: object, key: string, value: unknown) =>
    Object.defineProperty(target, key, { ...hidden, value })
  const tagOf = (v: unknown) => Object.prototype.toString.call(v).slice(8, -1)
  // Brand-checked, unlike a Symbol.toStringTag lookup: a typed array's type name, else undefined.
  const typedArrayName = Object.getOwnPropertyDescriptor(
    Object.getPrototypeOf(Uint8Array.prototype),
    Symbol.toStringTag
  )!.get as (this: unknown) => string | undefined
  // WebIDL's USVString conversion, which URL and query strings go through.
  const usv = (v: unknown) =>
    `${v}`.replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '\uFFFD'
    )

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

  const parseQuery = (query: string) =>
    host.parseQuery(query).map(([name, value]): [string, string] => [`${name}`, `${value}`])
  // Set in URLSearchParams' static block: how a URL links its params and rewrites their list.
  let bindParams: (params: URLSearchParams, onChange: (query: string) => void) => void
  let resetParams: (params: URLSearchParams, query: string) => void

  /** Form-urlencoded name/value pairs; when a URL owns them, each change rewrites its query. */
  class URLSearchParams {
    #list: [string, string][] = []
    #onChange: ((query: string) => void) | undefined
    static {
      bindParams = (params, onChange) => (params.#onChange = onChange)
      resetParams = (params, query) => (params.#list = parseQuery(query))
    }
    constructor(init: unknown = '') {
      if (init === null) return
      if (typeof init !== 'object' && typeof init !== 'function') {
        const query = usv(init)
        this.#list = parseQuery(query.startsWith('?') ? query.slice(1) : query)
      } else if ((init as Iterable<unknown>)[Symbol.iterator] === undefined) {
        const record = init as Record<string, unknown>
        for (const name of Object.keys(record)) this.#list.push([usv(name), usv(record[name])])
      } else {
        const tuple = 'Each query pair must be an iterable [name, value] tuple'
        for (const pair of init as Iterable<Iterable<unknown>>) {
          const iterable = (typeof pair === 'object' && pair !== null) || typeof pair === 'function'
          const items = iterable && typeof pair[Symbol.iterator] === 'function' ? [...pair] : []
          if (items.length !== 2) throw nodeError(TypeError, 'ERR_INVALID_TUPLE', tuple)
          this.#list.push([usv(items[0]), usv(items[1])])
        }
      }
    }
    get size() {
      return this.#list.length
    }
    append(name: unknown, value: unknown) {
      this.#list.push([usv(name), usv(value)])
      this.#update()
    }
    delete(name: unknown, value?: unknown) {
      const [n, v] = [usv(name), value === undefined ? undefined : usv(value)]
      this.#list = this.#list.filter(([k, x]) => k !== n || (v !== undefined && x !== v))
      this.#update()
    }
    get(name: unknown) {
      const n = usv(name)
      return this.#list.find(([k]) => k === n)?.[1] ?? null
    }
    getAll(name: unknown) {
      const n = usv(name)
      return this.#list.filter(([k]) => k === n).map(([, v]) => v)
    }
    has(name: unknown, value?: unknown) {
      const [n, v] = [usv(name), value === undefined ? undefined : usv(value)]
      return this.#list.some(([k, x]) => k === n && (v === undefined || x === v))
    }
    set(name: unknown, value: unknown) {
      const [n, v] = [usv(name), usv(value)]
      const first = this.#list.findIndex(([k]) => k === n)
      if (first < 0) this.#list.push([n, v])
      else {
        this.#list[first] = [n, v]
        this.#list = this.#list.filter(([k], i) => i <= first || k !== n)
      }
      this.#update()
    }
    sort() {
      // Array#sort is stable and `<` compares code units, as the spec asks.
      this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      this.#update()
    }
    forEach(
      callback: (value: string, name: string, params: URLSearchParams) => void,
      thisArg?: unknown
    ) {
      if (typeof callback !== 'function') {
        const message = 'The "callback" argument must be of type function'
        throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', message)
      }
      for (let i = 0; i < this.#list.length; i++) {
        const [name, value] = this.#list[i]!
        callback.call(thisArg, value, name, this)
      }
    }
    // Generators that index the list live, so changes made while iterating are seen.
    *entries(): IterableIterator<[string, string]> {
      for (let i = 0; i < this.#list.length; i++) yield [...this.#list[i]!]
    }
    *keys(): IterableIterator<string> {
      for (let i = 0; i < this.#list.length; i++) yield this.#list[i]![0]
    }
    *values(): IterableIterator<string> {
      for (let i = 0; i < this.#list.length; i++) yield this.#list[i]![1]
    }
    [Symbol.iterator]() {
      return this.entries()
    }
    toString() {
      return this.#list.length === 0 ? '' : host.serializeQuery(this.#list)
    }
    get [Symbol.toStringTag]() {
      return 'URLSearchParams'
    }
    #update() {
      this.#onChange?.(this.toString())
    }
  }

  const specialSchemes = ['ftp:', 'file:', 'http:', 'https:', 'ws:', 'wss:']
  // The userinfo percent-encode set: what would otherwise end or split the userinfo.
  const userinfoSet = /[\x00-\x20"#<>?`{}/:;=@[\\\]^|\x7f-\u{10ffff}]/gu
  // Setters run the WHATWG parser, which drops tabs and newlines from any input first.
  const clean = (v: unknown) => usv(v).replace(/[\t\n\r]/g, '')
  const parseUrl = (href: string, base: string | null = null) => {
    const record = host.parseUrl(href, base)
    return 'error' in record ? null : record
  }
  const invalidUrl = (input: string, base: string | undefined) =>
    nodeError(
      TypeError,
      'ERR_INVALID_URL',
      'Invalid URL',
      base === undefined ? { input } : { input, base }
    )
  // An href's parts as written in it: an empty query or fragment keeps its '?' or '#'.
  const partsOf = (r: UrlRecord) => {
    const hash = r.hash || (r.href.endsWith('#') ? '#' : '')
    const search =
      r.search || (r.href.slice(0, r.href.length - hash.length).endsWith('?') ? '?' : '')
    const authority = r.href.startsWith(r.protocol + '//')
    return { ...r, hash, search, authority, opaque: !authority && !r.pathname.startsWith('/') }
  }
  type Parts = ReturnType<typeof partsOf>

  /** The WHATWG URL on the host's parser: a setter rebuilds the href with its part, re-parsed. */
  class URL {
    #record: UrlRecord
    #params: URLSearchParams
    constructor(url: unknown, base?: unknown) {
      if (arguments.length === 0) throw missingArg('url')
      const input = `${url}`
      const baseText = base === undefined ? undefined : `${base}`
      const record = parseUrl(input, baseText ?? null)
      if (record === null) throw invalidUrl(input, baseText)
      this.#record = record
      this.#params = new URLSearchParams(record.search)
      bindParams(this.#params, (query) => this.#set({ search: query && '?' + query }, false))
    }
    static canParse(url: unknown, base?: unknown) {
      return parseUrl(`${url}`, base === undefined ? null : `${base}`) !== null
    }
    static parse(url: unknown, base?: unknown) {
      return URL.canParse(url, base) ? new URL(url, base) : null
    }
    // Re-parses the href rebuilt with some parts replaced; if the parser refuses, nothing changes.
    #set(parts: Partial<Parts>, resetQuery: boolean) {
      const p = { ...partsOf(this.#record), ...parts }
      const userinfo = p.username + (p.password && ':' + p.password)
      // Without an authority, a path starting with '//' needs the '/.' the serializer gives it.
      const head = p.authority ? '//' + (userinfo && userinfo + '@') + p.host : ''
      const path = !p.authority && p.pathname.startsWith('//') ? '/.' + p.pathname : p.pathname
      const record = parseUrl(p.protocol + head + path + p.search + p.hash)
      if (record === null) return
      this.#record = record
      if (resetQuery) resetParams(this.#params, record.search.slice(1))
    }
    // The host and hostname setters: the value ends where a path, query or fragment would begin.
    #setHost(value: string, withPort: boolean) {
      const r = partsOf(this.#record)
      const special = specialSchemes.includes(r.protocol)
      const input = value.split(special ? /[/?#\\]/ : /[/?#]/)[0]!
      const colon = input.indexOf(':', input.startsWith('[') ? input.indexOf(']') + 1 : 0)
      const hostname = colon < 0 ? input : input.slice(0, colon)
      const port = (colon < 0 ? '' : /^\d*/.exec(input.slice(colon + 1))![0]) || r.port
      if (r.opaque || (colon >= 0 && !withPort) || hostname.includes('@')) return
      // Only file URLs, and other non-special ones with nothing else in the authority, may lose it.
      const hostRequired = (special && r.protocol !== 'file:') || r.username || r.password || r.port
      if (!hostname && hostRequired) return
      this.#set({ host: hostname + (port && ':' + port), authority: true }, false)
    }
    // Only a URL with a non-empty host and a scheme other than file has userinfo and a port.
    #hasAuthorityParts() {
      return this.#record.host !== '' && this.#record.protocol !== 'file:'
    }
    get href() {
      return this.#record.href
    }
    set href(value: unknown) {
      const input = `${value}`
      const record = parseUrl(input)
      if (record === null) throw invalidUrl(input, undefined)
      this.#record = record
      resetParams(this.#params, record.search.slice(1))
    }
    get origin() {
      return this.#record.origin
    }
    get protocol() {
      return this.#record.protocol
    }
    set protocol(value: unknown) {
      const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*)(?::|$)/.exec(clean(value))
      if (scheme === null) return
      const protocol = scheme[1]!.toLowerCase() + ':'
      const r = this.#record
      // The spec forbids switching between special and other schemes and some moves to/from file.
      if (specialSchemes.includes(protocol) !== specialSchemes.includes(r.protocol)) return
      if (protocol === 'file:' && (r.username || r.password || r.port)) return
      if (r.protocol === 'file:' && !r.hostname) return
      this.#set({ protocol }, false)
    }
    get username() {
      return this.#record.username
    }
    set username(value: unknown) {
      // Unlike other setters, credentials skip the parser: tabs are encoded, not dropped.
      if (this.#hasAuthorityParts()) {
        this.#set({ username: usv(value).replace(userinfoSet, encodeURIComponent) }, false)
      }
    }
    get password() {
      return this.#record.password
    }
    set password(value: unknown) {
      if (this.#hasAuthorityParts()) {
        this.#set({ password: usv(value).replace(userinfoSet, encodeURIComponent) }, false)
      }
    }
    get host() {
      return this.#record.host
    }
    set host(value: unknown) {
      this.#setHost(clean(value), true)
    }
    get hostname() {
      return this.#record.hostname
    }
    set hostname(value: unknown) {
      this.#setHost(clean(value), false)
    }
    get port() {
      return this.#record.port
    }
    set port(value: unknown) {
      const text = clean(value)
      const port = /^\d*/.exec(text)![0]
      if (!this.#hasAuthorityParts() || (text && !port)) return
      this.#set({ host: this.#record.hostname + (port && ':' + port) }, false)
    }
    get pathname() {
      return this.#record.pathname
    }
    set pathname(value: unknown) {
      const r = partsOf(this.#record)
      if (r.opaque) return
      const special = specialSchemes.includes(r.protocol)
      // Here '?' and '#' are path characters, not delimiters.
      let path = clean(value).replace(/[?#]/g, (c) => (c === '?' ? '%3F' : '%23'))
      const rooted = special ? /^[/\\]/.test(path) : path.startsWith('/')
      if (!rooted && (path || special || !r.authority)) path = '/' + path
      this.#set({ pathname: path }, false)
    }
    get search() {
      return this.#record.search
    }
    set search(value: unknown) {
      const text = usv(value)
      const query = clean(text).replace(/^\?/, '').replace(/#/g, '%23')
      this.#set({ search: text === '' ? '' : '?' + query }, true)
    }
    get searchParams() {
      return this.#params
    }
    get hash() {
      return this.#record.hash
    }
    set hash(value: unknown) {
      const text = usv(value)
      this.#set({ hash: text === '' ? '' : '#' + clean(text).replace(/^#/, '') }, false)
    }
    toString() {
      return this.#record.href
    }
    toJSON() {
      return this.#record.href
    }
    get [Symbol.toStringTag]() {
      return 'URL'
    }
  }

  const integerArray = /^(Big(Int|Uint)64|(Int|Uint)(8|16|32)|Uint8Clamped)Array$/

  /** Web Crypto's synchronous part on the host CSPRNG; no `subtle` (that needs a real engine). */
  class Crypto {
    getRandomValues<T extends ArrayBufferView>(array: T): T {
      if (arguments.length === 0) {
        const message =
          "Failed to execute 'getRandomValues' on 'Crypto': 1 argument required, but only 0 present."
        throw nodeError(TypeError, 'ERR_MISSING_ARGS', message)
      }
      if (!integerArray.test(typedArrayName.call(array) ?? '')) {
        throw new DOMException(
          'The data argument must be an integer-type TypedArray',
          'TypeMismatchError'
        )
      }
      if (array.byteLength > 65_536) {
        throw new DOMException('The requested length exceeds 65,536 bytes', 'QuotaExceededError')
      }
      const random = new Uint8Array(host.randomBytes(array.byteLength))
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(random)
      return array
    }
    randomUUID() {
      return host.randomUUID()
    }
    get [Symbol.toStringTag]() {
      return 'Crypto'
    }
  }

  // The error types structuredClone keeps; an error with any other name comes back as an Error.
  const errorTypes = [EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError]
  const uncloneable =
    /^(Symbol|Promise|Weak(Map|Set|Ref)|FinalizationRegistry|(Async)?Generator|Arguments)$/

  /**
   * The HTML structured clone, in pure JS, of the types a sandbox can build; shared references and
   * cycles are kept. Types are told apart by their tags, so plain objects clone without any throw.
   * A `transfer` option is not supported: everything is copied.
   */
  function structuredClone(value: unknown) {
    if (arguments.length === 0) {
      throw nodeError(TypeError, 'ERR_MISSING_ARGS', 'The value argument must be specified')
    }
    const memo = new Map<object, unknown>()
    const fail = (v: unknown) => {
      const what =
        typeof v === 'function'
          ? Function.prototype.toString.call(v)
          : typeof v === 'symbol'
            ? v.toString()
            : `#<${Object.getPrototypeOf(v)?.constructor?.name ?? 'Object'}>`
      return new DOMException(`${what} could not be cloned.`, 'DataCloneError')
    }
    const fill = <T extends object>(out: T, from: object) => {
      for (const key of Object.keys(from)) {
        const item = clone((from as Record<string, unknown>)[key])
        // An assignment to '__proto__' would set the prototype instead of a property.
        if (key !== '__proto__') (out as Record<string, unknown>)[key] = item
        else Object.defineProperty(out, key, { ...hidden, enumerable: true, value: item })
      }
      return out
    }
    const clone = (v: unknown): unknown => {
      if (typeof v === 'function' || typeof v === 'symbol') throw fail(v)
      if (typeof v !== 'object' || v === null) return v
      if (memo.has(v)) return memo.get(v)
      const keep = <T>(out: T) => (memo.set(v, out), out)
      const typed = typedArrayName.call(v)
      if (typed !== undefined) {
        const view = v as Uint8Array
        const Type = (globalThis as unknown as Record<string, Uint8ArrayConstructor>)[typed]!
        return keep(new Type(clone(view.buffer) as ArrayBuffer, view.byteOffset, view.length))
      }
      if (Array.isArray(v)) return fill(keep(new Array(v.length)), v)
      const tag = tagOf(v)
      if (tag === 'Date') return keep(new Date(Date.prototype.getTime.call(v)))
      if (tag === 'RegExp') return keep(new RegExp((v as RegExp).source, (v as RegExp).flags))
      if (tag === 'Boolean') return keep(Object(Boolean.prototype.valueOf.call(v)))
      if (tag === 'Number') return keep(Object(Number.prototype.valueOf.call(v)))
      if (tag === 'String') return keep(Object(String.prototype.valueOf.call(v)))
      if (tag === 'BigInt') return keep(Object(BigInt.prototype.valueOf.call(v)))
      if (tag === 'ArrayBuffer') return keep(new Uint8Array(v as ArrayBuffer).slice().buffer)
      if (tag === 'SharedArrayBuffer') return keep(v) // shared memory stays shared
      if (tag === 'DataView') {
        const view = v as DataView
        return keep(
          new DataView(clone(view.buffer) as ArrayBuffer, view.byteOffset, view.byteLength)
        )
      }
      if (tag === 'Map') {
        const out = keep(new Map())
        for (const [k, x] of Map.prototype.entries.call(v)) out.set(clone(k), clone(x))
        return out
      }
      if (tag === 'Set') {
        const out = keep(new Set())
        for (const x of Set.prototype.values.call(v)) out.add(clone(x))
        return out
      }
      if (tag === 'Error') {
        const error = v as Error
        const name = `${error.name}`
        const out = keep(new (errorTypes.find((type) => type.name === name) ?? Error)())
        if (Object.hasOwn(error, 'message')) hide(out, 'message', `${error.message}`)
        if (typeof error.stack === 'string') hide(out, 'stack', error.stack)
        if (Object.hasOwn(error, 'cause')) hide(out, 'cause', clone(error.cause))
        return out
      }
      if (uncloneable.test(tag)) throw fail(v)
      return fill(keep({}), v) // any other object clones as a plain one, as in V8
    }
    return clone(value)
  }

  const crypto = new Crypto()
  const globals = {
    DOMException,
    TextEncoder,
    TextDecoder,
    atob,
    btoa,
    URL,
    URLSearchParams,
    crypto,
    structuredClone
  }
  for (const [name, value] of Object.entries(globals)) hide(globalThis, name, value)
}
