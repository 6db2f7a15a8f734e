import type { PreludeHooks, PreludeHost, PreludeOptions } from './types.js'

/** The module hooks: the container's require of a handler file, and the ES loader's resolver. */
export type ModuleHooks = Pick<PreludeHooks, 'require' | 'resolve'>

/**
 * CommonJS over the function's own files: Node's resolution rules (relative paths, index files,
 * package.json main, node_modules up the tree), each file compiled once by host.compile and
 * cached. Runs inside QuickJS: refers to nothing outside its own body (see index.ts).
 */
export function createCommonJs(host: PreludeHost, options: PreludeOptions): ModuleHooks {
  const TASK = '/var/task/'
  const files = new Set(options.files)
  const esm = new Set(options.esm)
  const cache = new Map<string, { exports: unknown }>()
  const dirOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')))
  const join = (dir: string, request: string) => {
    const out: string[] = []
    for (const part of `${dir}/${request}`.split('/')) {
      if (part === '' || part === '.') continue
      if (part === '..') out.pop()
      else out.push(part)
    }
    return out.join('/')
  }
  const asFile = (p: string) =>
    [p, `${p}.js`, `${p}.cjs`, `${p}.mjs`, `${p}.json`].find((f) => files.has(f))
  const asDir = (p: string): string | undefined => {
    const manifest = host.readFile(p === '' ? 'package.json' : `${p}/package.json`)
    if (manifest !== undefined) {
      try {
        const main = (JSON.parse(manifest) as { main?: unknown }).main
        if (typeof main === 'string') {
          const found = asFile(join(p, main)) ?? asIndex(join(p, main))
          if (found !== undefined) return found
        }
      } catch {
        // a package.json that is not JSON has no main: fall back to index, as Node does
      }
    }
    return asIndex(p)
  }
  const asIndex = (p: string) =>
    ['index.js', 'index.cjs', 'index.json']
      .map((f) => (p === '' ? f : `${p}/${f}`))
      .find((f) => files.has(f))
  const notFound = (request: string, from: string | null) =>
    Object.assign(
      new Error(
        `Cannot find module '${request}'${from === null ? '' : `\nRequire stack:\n- ${TASK}${from}`}`
      ),
      { code: 'MODULE_NOT_FOUND' }
    )
  const resolve = (request: string, from: string | null): string => {
    const dir = from === null ? '' : dirOf(from)
    if (request.startsWith('./') || request.startsWith('../') || request.startsWith('/')) {
      const base = request.startsWith(TASK)
        ? request.slice(TASK.length)
        : join(request.startsWith('/') ? '' : dir, request)
      const found = asFile(base) ?? asDir(base)
      if (found !== undefined) return found
      throw notFound(request, from)
    }
    if (request.startsWith('node:') || request === '') throw notFound(request, from)
    for (let d = dir; ; d = dirOf(d)) {
      const base = join(d, `node_modules/${request}`)
      const found = asFile(base) ?? asDir(base)
      if (found !== undefined) return found
      if (d === '') break
    }
    throw notFound(request, from)
  }
  const load = (path: string): unknown => {
    const cached = cache.get(path)
    if (cached !== undefined) return cached.exports
    const source = host.readFile(path)
    if (source === undefined) throw notFound(path, null)
    const module = { exports: {} as unknown, id: TASK + path, filename: TASK + path, loaded: false }
    cache.set(path, module)
    try {
      if (path.endsWith('.json')) {
        module.exports = JSON.parse(source)
      } else if (esm.has(path)) {
        throw Object.assign(new Error(`require() of ES Module ${TASK}${path} not supported.`), {
          code: 'ERR_REQUIRE_ESM'
        })
      } else {
        const localRequire = Object.assign(
          (request: string) => load(resolve(String(request), path)),
          {
            resolve: (request: string) => TASK + resolve(String(request), path),
            cache: {}
          }
        )
        const wrapper = host.compile(source, TASK + path)
        wrapper.call(
          module.exports,
          module.exports,
          localRequire,
          module,
          TASK + path,
          TASK + dirOf(path)
        )
      }
    } catch (err) {
      cache.delete(path)
      throw err
    }
    module.loaded = true
    return module.exports
  }
  return { require: load, resolve }
}
