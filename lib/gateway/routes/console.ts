import { Readable } from 'node:stream'
import { RESOURCE_NOT_FOUND, SwarmError } from '../../errors.js'
import type { Authenticator } from '../auth.js'
import { ConsoleAssets } from '../console/assets.js'
import { consoleState } from '../console/state.js'
import type { RouteContext } from '../context.js'
import type { Request, Route } from '../server.js'

/** How often the event stream sends the state. */
const EVENT_MS = 1_000

/**
 * The console (lib/console/, built into dist/console/): `GET /` its page, `GET /console/FILE` its
 * script and style, `GET /events` its server-sent `state` events, once a second, and
 * `GET /api/v1/whoami` (what the console signs in with). The stream is open to anyone; what it
 * carries beyond the cluster depends on the key that came with it.
 */
export function consoleRoutes(ctx: RouteContext, auth: Authenticator): Route[] {
  const assets = new ConsoleAssets()
  const asset = (name: string, request: Request) => {
    const reply = assets.reply(name, request)
    if (reply !== null) return reply
    if (!assets.built) {
      return {
        status: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: Buffer.from('The console is not built: run `npm run build:console`.\n')
      }
    }
    throw RESOURCE_NOT_FOUND(`Console file ${name}`)
  }
  return [
    {
      method: 'GET',
      path: /^\/$/,
      access: 'open',
      async handle(request) {
        return asset('index.html', request)
      }
    },
    {
      method: 'GET',
      path: /^\/console\/([A-Za-z0-9._-]+)$/,
      access: 'open',
      async handle(request) {
        return asset(request.params[0] as string, request)
      }
    },
    {
      // Who the credentials name: 200 whatever they are (a refused key says why), so a wrong key
      // typed into the console is an answer to show, not a failed request.
      method: 'GET',
      path: /^\/api\/v1\/whoami$/,
      access: 'open',
      async handle(request) {
        if (!auth.enabled) return { status: 200, body: { access: 'open' } }
        if ((request.headers.authorization ?? '') === '') {
          return { status: 200, body: { access: 'anonymous' } }
        }
        try {
          const id = await auth.check('control', request)
          return { status: 200, body: { access: 'signed-in', accessKeyId: id } }
        } catch (err) {
          if (!(err instanceof SwarmError)) throw err
          const refused = { errorType: err.awsType, errorCode: err.code, message: err.message }
          return { status: 200, body: { access: 'anonymous', refused } }
        }
      }
    },
    {
      method: 'GET',
      path: /^\/events$/,
      access: 'optional',
      async handle(request) {
        const access = !auth.enabled
          ? 'open'
          : request.principal !== null
            ? 'signed-in'
            : 'anonymous'
        let timer: NodeJS.Timeout | null = null
        const send = async () => {
          const state = await consoleState(ctx, access)
          stream.push(`event: state\ndata: ${JSON.stringify(state)}\n\n`)
        }
        const stream = new Readable({
          read() {
            if (timer !== null) return
            timer = setInterval(() => void send().catch(() => undefined), EVENT_MS)
            void send().catch(() => undefined)
          },
          destroy(err, callback) {
            if (timer !== null) clearInterval(timer)
            callback(err)
          }
        })
        stream.once('end', () => timer !== null && clearInterval(timer))
        return {
          status: 200,
          headers: {
            'content-type': 'text/event-stream',
            'cache-control': 'no-cache',
            connection: 'keep-alive'
          },
          stream
        }
      }
    }
  ]
}
