import type { HostBridge, UrlRecord } from '../bridge.js'

/**
 * Installs URL and URLSearchParams on globalThis: the WHATWG URL on the host's parser, and its
 * query as live name/value pairs. Its source runs inside the sandbox (see index.ts), so
 * everything it uses is defined in its own body: no imports at run time, no module-level
 * helpers, no Node globals.
 */
export function installUrl(host: HostBridge): void {
  'use strict'
  // Node's errors carry a code (and sometimes more) that handlers match on.
  const nodeError = (Type: ErrorConstructor, code: string, message: string, more = {}) =>
    Object.assign(new Type(message), { code, ...more })
  const missingArg = (name: string) =>
    nodeError(TypeError, 'ERR_MISSING_ARGS', `The "${name}" argument must be specified`)
  // WebIDL's USVString conversion, which URL and query strings go through.
  const usv = (v: unknown) =>
    `${v}`.replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '\uFFFD'
    )

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

  // Web globals are writable and configurable but not enumerable.
  for (const [name, value] of Object.entries({ URL, URLSearchParams })) {
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      enumerable: false,
      configurable: true
    })
  }
}
