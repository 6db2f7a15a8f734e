import vm from 'node:vm'
import variant from '@jitl/quickjs-wasmfile-release-sync'
import { newQuickJSWASMModuleFromVariant, type QuickJSHandle } from 'quickjs-emscripten-core'
import t, { type Test } from 'tap'
import { hostBridge } from '../../../lib/runtimes/js/bridge.js'
import { POLYFILLED, POLYFILLS_SOURCE } from '../../../lib/runtimes/js/polyfills/index.js'

const installed = [
  'DOMException',
  'TextEncoder',
  'TextDecoder',
  'atob',
  'btoa',
  'URL',
  'URLSearchParams',
  'crypto',
  'structuredClone'
]

/** Runs a function's source text in a sandbox realm and returns outcome()'s JSON for it. */
type Realm = (fnSource: string) => string

// What a case returned or threw, as JSON; shipped into each realm as source text, like the cases.
function outcome(f: () => unknown): string {
  try {
    return JSON.stringify({ value: f() })
  } catch (e) {
    const { name, message, code } = e as { name: string; message: string; code?: string }
    return JSON.stringify({ threw: { name, message, code, isError: e instanceof Error } })
  }
}

/** A fresh V8 context (ES builtins only), the Node host in it, then the polyfills. */
function vmRealm(t: Test): Realm {
  const ctx = vm.createContext({})
  vm.runInContext(`for (const name of ${JSON.stringify(installed)}) delete globalThis[name]`, ctx)
  const before = vm.runInContext(`${JSON.stringify(installed)}.filter((n) => n in globalThis)`, ctx)
  t.same(before, [], 'a bare vm context has none of the globals')
  ctx.host = hostBridge(new Map(), () => {})
  vm.runInContext(`(${POLYFILLS_SOURCE})(host)`, ctx)
  return (fnSource) => vm.runInContext(`(${outcome})(${fnSource})`, ctx) as string
}

/**
 * Real QuickJS, the host bridge marshalled in by value as a sandbox gets it: ArrayBuffers copied,
 * everything else as JSON (quickjs-emscripten's own string transfer stops at a NUL and mangles
 * lone surrogates, which atob and TextDecoder results routinely hold).
 */
async function quickjsRealm(t: Test): Promise<Realm> {
  const host = hostBridge(new Map(), () => {})
  // Its types come through a CommonJS default export; at run time the ESM default is the variant.
  const build = variant as unknown as Parameters<typeof newQuickJSWASMModuleFromVariant>[0]
  const ctx = (await newQuickJSWASMModuleFromVariant(build)).newContext()
  const helpers = ctx.unwrapResult(
    ctx.evalCode(
      `({
        isBuffer: (v) => v instanceof ArrayBuffer,
        toJSON: (v) => JSON.stringify([v]),
        fromJSON: JSON.parse
      })`
    )
  )
  const call = (helper: string, arg: QuickJSHandle) => {
    const fn = ctx.getProp(helpers, helper)
    const result = ctx.unwrapResult(ctx.callFunction(fn, ctx.undefined, arg))
    fn.dispose()
    return result
  }
  const fromHandle = (handle: QuickJSHandle): unknown => {
    const check = call('isBuffer', handle)
    const buffer = ctx.dump(check) === true
    check.dispose()
    if (buffer) {
      const bytes = ctx.getArrayBuffer(handle)
      const copy = bytes.value.slice().buffer
      bytes.dispose()
      return copy
    }
    const json = call('toJSON', handle)
    const [value] = JSON.parse(ctx.getString(json)) as [unknown]
    json.dispose()
    return value
  }
  const toHandle = (value: unknown): QuickJSHandle => {
    if (value instanceof ArrayBuffer) return ctx.newArrayBuffer(value)
    if (value === undefined) return ctx.undefined
    const json = ctx.newString(JSON.stringify(value))
    const handle = call('fromJSON', json)
    json.dispose()
    return handle
  }
  const hostHandle = ctx.newObject()
  for (const [name, fn] of Object.entries(host) as [string, (...args: unknown[]) => unknown][]) {
    const handle = ctx.newFunction(name, (...args) => toHandle(fn(...args.map(fromHandle))))
    ctx.setProp(hostHandle, name, handle)
    handle.dispose()
  }
  ctx.setProp(ctx.global, 'host', hostHandle)
  hostHandle.dispose()
  const before = ctx.unwrapResult(
    ctx.evalCode(`${JSON.stringify(installed)}.filter((n) => n in globalThis)`)
  )
  t.same(ctx.dump(before), [], 'QuickJS has none of the globals')
  before.dispose()
  ctx.unwrapResult(ctx.evalCode(`(${POLYFILLS_SOURCE})(host)`)).dispose()
  t.teardown(() => {
    helpers.dispose()
    ctx.dispose()
  })
  return (fnSource) => {
    const result = ctx.unwrapResult(ctx.evalCode(`(${outcome})(${fnSource})`))
    const json = ctx.getString(result)
    result.dispose()
    return json
  }
}

/** Cases whose outcome in the sandbox must equal, as JSON, their outcome on Node's own globals. */
const sameAsNode: Record<string, () => unknown> = {
  'TextEncoder and TextDecoder round trip': () => {
    const bytes = new TextEncoder().encode('aé€😀')
    return [Array.from(bytes), new TextDecoder().decode(bytes), new TextEncoder().encoding]
  },
  'TextEncoder: a lone surrogate becomes U+FFFD; no input encodes to nothing': () => {
    const bytes = new TextEncoder().encode('a\uD800b\uDC00')
    return [Array.from(bytes), new TextDecoder().decode(bytes), new TextEncoder().encode().length]
  },
  'TextEncoder.encodeInto stops before a character that does not fit': () =>
    [0, 1, 2, 4, 5, 6, 7, 9, 10, 12].map((size) => {
      const dest = new Uint8Array(size)
      const { read, written } = new TextEncoder().encodeInto('a😀é\uD800', dest)
      return [read, written, Array.from(dest)]
    }),
  'TextDecoder: malformed bytes become U+FFFD': () =>
    new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0xe2, 0x82, 0x62, 0xf0, 0x9f])),
  'TextDecoder fatal: a TypeError with Node’s code': () =>
    new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0x61, 0xff])),
  'TextDecoder: a leading BOM is dropped unless ignoreBOM': () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xef, 0xbb, 0xbf])
    const texts = [
      new TextDecoder().decode(bytes),
      new TextDecoder('utf8', { ignoreBOM: true }).decode(bytes)
    ]
    return texts.map((text) => Array.from(text, (c) => c.codePointAt(0)))
  },
  'TextDecoder stream: characters split across chunks, one BOM per stream': () => {
    const bytes = new Uint8Array([
      0xef, 0xbb, 0xbf, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0x61, 0xe2, 0x82
    ])
    const decoder = new TextDecoder()
    return [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 5], [3], [7, 9, 12], []].map((cuts) => {
      let from = 0
      const chunks = cuts.map((cut) =>
        decoder.decode(bytes.subarray(from, (from = cut)), { stream: true })
      )
      chunks.push(decoder.decode(bytes.subarray(from)))
      return chunks.map((text) => Array.from(text, (c) => c.codePointAt(0)))
    })
  },
  'TextDecoder fatal stream: an unfinished character fails only when the stream ends': () => {
    const decoder = new TextDecoder('utf-8', { fatal: true })
    const out = [decoder.decode(new Uint8Array([0x61, 0xe2]), { stream: true })]
    out.push(decoder.decode(new Uint8Array([0x82, 0xac, 0xf0]), { stream: true }))
    try {
      decoder.decode()
    } catch (e) {
      out.push((e as Error).name)
    }
    out.push(decoder.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x62])))
    return out
  },
  'TextDecoder labels and flags': () =>
    ['utf-8', 'UTF8', ' unicode-1-1-utf-8 ', 'Utf-8'].map((label) => {
      const decoder = new TextDecoder(label, { fatal: true })
      return [decoder.encoding, decoder.fatal, decoder.ignoreBOM]
    }),
  'TextDecoder takes an ArrayBuffer, any view, or nothing': () => {
    const buffer = new Uint8Array([0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]).buffer
    const decoder = new TextDecoder()
    const views = [
      new Uint8Array(buffer, 1, 2),
      new DataView(buffer, 3),
      new Uint16Array(buffer, 0, 2)
    ]
    return [decoder.decode(buffer), ...views.map((view) => decoder.decode(view)), decoder.decode()]
  },
  'TextDecoder refuses a string': () => new TextDecoder().decode('abc' as unknown as Uint8Array),
  'btoa and atob round trip all of latin1': () => {
    const latin1 = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))
    const encoded = btoa(latin1)
    return [
      encoded,
      atob(encoded) === latin1,
      btoa(''),
      atob(' aGVs\nbG8 '),
      atob('aGVsbG8'),
      btoa(12 as never)
    ]
  },
  'btoa refuses code units above 0xFF': () => btoa('€'),
  'atob refuses what is not base64': () => atob('@@'),
  'atob refuses a bad length': () => atob('a'),
  'atob needs an argument': () => (atob as () => string)(),
  'DOMException has a name, a message and a legacy code': () =>
    [['m', 'DataCloneError'], ['x', 'AbortError'], ['y'], ['z', 'Custom']].map(
      ([message, name]) => {
        const e = new DOMException(message, name)
        return [e.name, e.message, e.code, e instanceof Error, String(e)]
      }
    ),
  'URL parses every part': () =>
    [
      'https://user:pa ss@EXAMPLE.com:8080/a/../b c?x=1&y=é#frag',
      'http://[::1]:80/',
      'file:///C:/x/../y',
      'mailto:someone@example.com',
      'blob:https://a.example/uuid',
      'foo://h/p?q#f',
      'HTTP://a.b/%7e?%7e#%7e',
      'http://a/p?#'
    ].map((href) => {
      const u = new URL(href)
      const parts = [u.href, u.origin, u.protocol, u.username, u.password, u.host, u.hostname]
      return [
        ...parts,
        u.port,
        u.pathname,
        u.search,
        u.hash,
        String(u),
        u.toJSON(),
        JSON.stringify({ u })
      ]
    }),
  'URL resolves against a base': () =>
    [
      ['../c?d', 'http://a/b/e/f'],
      ['//x/y', 'https://h'],
      ['?q', 'http://a/b'],
      ['#h', 'http://a/b?c'],
      ['/p', new URL('http://x/y')]
    ].map(([url, base]) => new URL(url!, base).href),
  'URL refuses what does not parse': () => new URL('nope'),
  'URL’s error names its input and base': () => {
    try {
      return new URL('x', 'y')
    } catch (e) {
      const { input, base, code } = e as { input: string; base: string; code: string }
      return [input, base, code]
    }
  },
  'URL.canParse': () => [
    URL.canParse('http://a'),
    URL.canParse('nope'),
    URL.canParse('/p', 'http://a'),
    URL.canParse('/p')
  ],
  'URL setters on an http URL, invalid values ignored': () => {
    const u = new URL('http://a:81/p?q#h')
    const steps = [
      ['pathname', '/x y?#%'],
      ['pathname', 'rel'],
      ['pathname', '\\back'],
      ['search', 'a=1 2#3'],
      ['search', '?b'],
      ['search', ''],
      ['hash', 'top'],
      ['hash', '#again #'],
      ['hash', ''],
      ['port', '8080'],
      ['port', '8x'],
      ['port', 'x'],
      ['port', '99999'],
      ['port', '443'],
      ['port', ''],
      ['host', 'b.example:9090'],
      ['host', 'c.example'],
      ['host', 'd:'],
      ['host', 'e@f'],
      ['host', ''],
      ['host', 'g/h?i'],
      ['hostname', 'j.example'],
      ['hostname', 'k:1'],
      ['host', '[::1]:7'],
      ['hostname', '[::2]'],
      ['protocol', 'https'],
      ['protocol', 'WS:x'],
      ['protocol', 'foo'],
      ['protocol', '1x'],
      ['username', 'me@x:y/\t'],
      ['password', 'p:w é'],
      ['username', ''],
      ['password', ''],
      ['href', 'https://new.example/'],
      ['pathname', '/a\tb\n'],
      ['port', 443 as unknown as string]
    ]
    return steps.map(([key, value]) => (Reflect.set(u, key!, value), [key, value, u.href]))
  },
  'URL setters on other schemes': () =>
    [
      ['foo://h/p', 'host', 'x'],
      ['foo://h/p', 'host', ''],
      ['foo://u@h/p', 'host', ''],
      ['foo:/p', 'host', 'h'],
      ['foo:/p', 'pathname', '//x'],
      ['foo://h/p', 'pathname', ''],
      ['foo:/p', 'pathname', ''],
      ['foo:/p', 'pathname', 'q'],
      ['foo://h/p', 'port', '9'],
      ['mailto:x', 'host', 'y'],
      ['mailto:x', 'pathname', 'z'],
      ['mailto:x', 'search', 'a b'],
      ['mailto:x', 'hash', 'b'],
      ['foo://h/p', 'protocol', 'bar'],
      ['foo://h/p', 'protocol', 'http'],
      ['http://a/p', 'protocol', 'foo'],
      ['file:///p', 'protocol', 'http'],
      ['http://u@a/p', 'protocol', 'file'],
      ['http://a/p', 'protocol', 'file'],
      ['file://a/p', 'host', ''],
      ['file:///p', 'host', 'srv'],
      ['file:///p', 'port', '1'],
      ['file:///p', 'username', 'x'],
      ['http://a/p?', 'hash', 'x'],
      ['http://a/p#', 'search', 'x'],
      ['http://a/p', 'search', '?'],
      ['http://a/p', 'hash', '#']
    ].map(([href, key, value]) => {
      const u = new URL(href!)
      Reflect.set(u, key!, value)
      return [href, key, value, u.href]
    }),
  'URL.searchParams is live both ways': () => {
    const u = new URL('http://a/p?x=1&y=2#f')
    const params = u.searchParams
    const seen: unknown[] = []
    params.append('z', 'a b&c')
    seen.push(u.href, u.search)
    u.search = '?k=v&k=w'
    seen.push([...params], params.getAll('k'))
    params.delete('k')
    seen.push(u.href, params.size)
    u.href = 'http://b/?m=n'
    seen.push(params.get('m'), params === u.searchParams)
    u.hash = 'h'
    params.set('a', '1')
    params.sort()
    seen.push(u.href)
    params.delete('a')
    params.delete('m')
    seen.push(u.href, u.search)
    return seen
  },
  'URLSearchParams constructors': () =>
    [
      new URLSearchParams('?a=1&b=2&a=3'),
      new URLSearchParams('a=%20b+c&d&=e&f=%zz&&g=h=i'),
      new URLSearchParams([
        ['x', '1'],
        ['y', '2']
      ]),
      new URLSearchParams({ p: 'q', n: 1 as never }),
      new URLSearchParams(new URLSearchParams('c=d')),
      new URLSearchParams(new Map([['m', 'n']])),
      new URLSearchParams(),
      new URLSearchParams(''),
      new URLSearchParams(null as never)
    ].map((p) => [p.toString(), [...p], p.size]),
  'URLSearchParams methods': () => {
    const p = new URLSearchParams('b=2&a=1&b=3&c=')
    const log: unknown[] = []
    log.push(p.get('b'), p.get('zz'), p.getAll('b'), p.has('a'), p.has('b', '3'), p.has('b', '4'))
    p.append('a', 'x y')
    p.set('b', 'one')
    log.push(p.toString())
    p.delete('a', '1')
    log.push(p.toString())
    p.delete('a')
    p.sort()
    log.push(p.toString(), [...p.keys()], [...p.values()], [...p.entries()], p.size)
    const thisArg = { name: 'this' }
    p.forEach(function (this: unknown, value, name, self) {
      log.push([value, name, self === p, this === thisArg])
    }, thisArg)
    return log
  },
  'URLSearchParams serializes as Node does': () => {
    const ascii = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('')
    const text = ascii + 'é😀\uFFFD'
    return [
      new URLSearchParams({ [text]: text }).toString(),
      new URLSearchParams([
        ['a b', 'c+d'],
        ['\uD800', 'x\uDC00']
      ]).toString()
    ]
  },
  'URLSearchParams sorts stably by code units': () => {
    const p = new URLSearchParams('z=1&a=2&z=0&\uFFFD=1&😀=2&a=0')
    p.sort()
    return [...p]
  },
  'URLSearchParams refuses a pair that is not two items': () =>
    new URLSearchParams([['a']] as unknown as [string, string][]),
  'URL and URLSearchParams tags': () => [
    Object.prototype.toString.call(new URLSearchParams()),
    Object.prototype.toString.call(new URL('http://a'))
  ],
  'crypto.getRandomValues fills just the view and returns it': () => {
    const bytes = new Uint8Array(64)
    const backing = new Uint8Array(16)
    crypto.getRandomValues(new Uint32Array(backing.buffer, 4, 2))
    return [
      crypto.getRandomValues(bytes) === bytes,
      bytes.some((b) => b !== 0),
      backing.subarray(0, 4).every((b) => b === 0),
      backing.subarray(4, 12).some((b) => b !== 0),
      backing.subarray(12).every((b) => b === 0),
      crypto.getRandomValues(new BigInt64Array(2)).length,
      crypto.getRandomValues(new Uint8Array(65536)).length
    ]
  },
  'crypto.getRandomValues refuses more than 65,536 bytes': () =>
    crypto.getRandomValues(new Uint8Array(65537)),
  'crypto.getRandomValues refuses a float array': () =>
    crypto.getRandomValues(new Float64Array(1) as never),
  'crypto.getRandomValues refuses a DataView': () =>
    crypto.getRandomValues(new DataView(new ArrayBuffer(1)) as never),
  'crypto.randomUUID is a v4 UUID': () => [
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(
      crypto.randomUUID()
    ),
    crypto.randomUUID() !== crypto.randomUUID()
  ],
  'structuredClone keeps cycles and shared references': () => {
    const shared = { s: 1 }
    const o = {
      list: [1, shared, shared] as unknown[],
      map: new Map<unknown, unknown>([[shared, shared]]),
      set: new Set<unknown>([shared]),
      self: null as unknown
    }
    o.self = o
    o.list.push(o.list)
    const c = structuredClone(o)
    const s = c.list[1]
    return [
      c !== o,
      c.self === c,
      c.list[3] === c.list,
      c.list[2] === s && s !== shared,
      c.map.get(s) === s,
      c.set.has(s),
      JSON.stringify(s),
      Object.getPrototypeOf(c) === Object.prototype
    ]
  },
  'structuredClone: Date, RegExp, wrappers, bigint': () => {
    const re = /a.b/gsu
    re.lastIndex = 2
    const values = [
      new Date(1e12),
      re,
      new Boolean(false),
      new Number(2),
      new String('s'),
      Object(3n)
    ] as const
    const [date, regexp, bool, num, str, big] = structuredClone(values)
    const types = [bool, num, str, big].map((w) => [
      typeof w,
      Object.prototype.toString.call(w),
      String(w)
    ])
    return [
      date instanceof Date && date !== values[0] && date.getTime(),
      regexp instanceof RegExp && regexp !== re && [String(regexp), regexp.lastIndex],
      types,
      structuredClone(10n ** 20n) === 10n ** 20n,
      Object.is(structuredClone(-0), -0),
      [
        structuredClone(null),
        structuredClone(undefined) === undefined,
        structuredClone('x'),
        structuredClone(NaN)
      ]
    ]
  },
  'structuredClone: buffers and views keep their sharing': () => {
    const buffer = new ArrayBuffer(8)
    const bytes = new Uint8Array(buffer, 2, 4)
    bytes.set([1, 2, 3, 4])
    const values = [
      bytes,
      new Int16Array(buffer),
      new DataView(buffer, 1, 3),
      buffer,
      new Float64Array([1.5])
    ] as const
    const [b, words, view, buf, own] = structuredClone(values)
    b[0] = 9
    return [
      b.buffer === words.buffer && words.buffer === view.buffer && view.buffer === buf,
      buf !== buffer && bytes[0],
      [b.byteOffset, b.length, view.byteOffset, view.byteLength],
      Array.from(new Uint8Array(buf)),
      Object.prototype.toString.call(words),
      Array.from(own),
      own.buffer !== b.buffer
    ]
  },
  'structuredClone: holes and extra array properties kept, prototypes dropped': () => {
    const list = [1, , 3] as (number | undefined)[] & { extra?: string }
    list.extra = 'x'
    class Point {
      x = 1
      get y() {
        return 2
      }
    }
    const proto = JSON.parse('{"__proto__": {"p": 1}, "k": 2}') as object
    const [cl, cp, cproto] = structuredClone([list, new Point(), proto] as const)
    return [
      [1 in cl, cl.length, cl.extra, Object.keys(cl)],
      [Object.getPrototypeOf(cp) === Object.prototype, Object.keys(cp)],
      [
        Object.keys(cproto),
        Object.getPrototypeOf(cproto) === Object.prototype,
        JSON.stringify(cproto)
      ]
    ]
  },
  'structuredClone: errors keep their type, message, stack and cause': () => {
    const e = new TypeError('outer', { cause: new RangeError('inner') })
    const renamed = new RangeError('r')
    renamed.name = 'SyntaxError'
    class Mine extends Error {
      override name = 'Mine'
    }
    const [ce, cr, cm, plain] = structuredClone([e, renamed, new Mine('m'), new Error()] as const)
    const cause = ce.cause as Error
    return [
      [ce instanceof TypeError, ce.message, ce.stack === e.stack, Object.keys(ce)],
      [cause instanceof RangeError, cause.message, Object.getOwnPropertyNames(ce).sort()],
      [cr.constructor.name, cr.name, cm.constructor.name, cm.name, cm.message],
      Object.getOwnPropertyNames(plain).sort()
    ]
  },
  'structuredClone refuses a function': () => structuredClone({ f: () => 1 }),
  'structuredClone refuses a symbol': () => structuredClone(Symbol('s')),
  'structuredClone refuses a WeakMap': () => structuredClone(new WeakMap()),
  'structuredClone refuses a Promise': () => structuredClone([Promise.resolve(1)]),
  'structuredClone needs an argument': () => (structuredClone as () => unknown)()
}

/** Where the sandbox deliberately differs from Node, or the question is about the sandbox. */
const ownBehaviour: [string, () => unknown, unknown][] = [
  [
    'TextDecoder knows only UTF-8',
    () => new TextDecoder('latin1'),
    {
      threw: {
        name: 'RangeError',
        message: 'The "latin1" encoding is not supported',
        code: 'ERR_ENCODING_NOT_SUPPORTED',
        isError: true
      }
    }
  ],
  [
    'crypto has no subtle',
    () => [typeof crypto.subtle, 'subtle' in crypto, Object.prototype.toString.call(crypto)],
    { value: ['undefined', false, '[object Crypto]'] }
  ],
  [
    'the globals are writable, configurable and not enumerable',
    () => {
      const names = ['DOMException', 'TextEncoder', 'TextDecoder', 'atob', 'btoa', 'URL']
      names.push('URLSearchParams', 'crypto', 'structuredClone')
      const flags = names.map((name) => {
        const { writable, configurable, enumerable } = Object.getOwnPropertyDescriptor(
          globalThis,
          name
        )!
        return [name, writable, configurable, enumerable]
      })
      return [flags, Object.keys(globalThis).filter((key) => names.includes(key))]
    },
    { value: [installed.map((name) => [name, true, true, false]), []] }
  ]
]

function checkRealm(t: Test, realm: Realm) {
  for (const [title, fn] of Object.entries(sameAsNode)) {
    t.equal(realm(String(fn)), outcome(fn), title)
  }
  for (const [title, fn, expected] of ownBehaviour) {
    t.same(JSON.parse(realm(String(fn))), expected, title)
  }
}

t.same(POLYFILLED, installed, 'the index names every global the polyfills define')

t.test('in a bare V8 context (node:vm)', async (t) => checkRealm(t, vmRealm(t)))

t.test('in QuickJS', async (t) => checkRealm(t, await quickjsRealm(t)))
