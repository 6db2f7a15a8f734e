import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import type { Reply, Request } from '../server.js'

/** Where `npm run build:console` puts the bundle (dist/console/, beside dist/lib/). */
const DIR = new URL('../../../console/', import.meta.url)

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8'
}

interface Asset {
  type: string
  body: Buffer
  gzipped: Buffer | null
  etag: string
}

/**
 * The console's built files, read once at start and served from memory: `index.html` revalidated
 * on every load (no-cache, ETag), the content-hashed script and style cached for a year
 * (immutable), each sent gzipped to a client that accepts it. Nothing comes from a CDN.
 */
export class ConsoleAssets {
  private readonly files = new Map<string, Asset>()

  constructor(dir: URL = DIR) {
    if (!existsSync(dir)) return
    for (const name of readdirSync(dir)) {
      const type = TYPES[name.slice(name.lastIndexOf('.') + 1)]
      if (type === undefined) continue
      const body = readFileSync(new URL(name, dir))
      const gz = new URL(`${name}.gz`, dir)
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
      this.files.set(name, { type, body, gzipped: existsSync(gz) ? readFileSync(gz) : null, etag })
    }
  }

  /** True once the bundle is there (it is not before the first `npm run build`). */
  get built(): boolean {
    return this.files.has('index.html')
  }

  /** The reply for one file, or null for a name the bundle does not have. */
  reply(name: string, request: Request): Reply | null {
    const asset = this.files.get(name)
    if (asset === undefined) return null
    const headers: Record<string, string> = {
      'content-type': asset.type,
      'cache-control': name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
      etag: asset.etag,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff'
    }
    if (name === 'index.html') {
      // The console runs only its own script and style, and talks only to its own edge.
      headers['content-security-policy'] =
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }
    if (request.headers['if-none-match'] === asset.etag) return { status: 304, headers }
    const gzip = asset.gzipped !== null && /\bgzip\b/.test(request.headers['accept-encoding'] ?? '')
    if (gzip) headers['content-encoding'] = 'gzip'
    return { status: 200, headers, body: gzip ? asset.gzipped : asset.body }
  }
}
