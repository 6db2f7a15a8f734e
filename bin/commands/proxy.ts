import { parseHostPorts } from '../../lib/config.js'
import { DEFAULT_REGION } from '../../lib/flags.js'
import { EdgeDirectory } from '../../lib/directory.js'
import { createLogger, logLevel } from '../../lib/log.js'
import { DEFAULT_PROXY_PORT, Proxy } from '../../lib/proxy/server.js'
import { regionPosition } from '../../lib/regions.js'
import { positiveInt, print, UsageError, type Command } from '../command.js'

/**
 * The edges a proxy or DNS server starts from: --edges, else SWARMLAMBDA_EDGES; an empty list is
 * a usage error unless `optional`.
 */
export function edgesOption(
  values: Record<string, unknown>,
  optional = false
): { host: string; port: number }[] {
  const text = (values.edges as string | undefined) ?? process.env.SWARMLAMBDA_EDGES ?? ''
  const bad: string[] = []
  const edges = parseHostPorts(text, (entry) => bad.push(entry))
  if (bad.length > 0)
    throw new UsageError(`--edges: ${bad.map((b) => `"${b}"`).join(', ')} not host:port`)
  if (edges.length === 0 && !optional)
    throw new UsageError('give the edges: --edges or SWARMLAMBDA_EDGES (host:port,...)')
  return edges
}

/** The region a proxy stands in: --region, else SWARMLAMBDA_REGION, else the default. */
export function regionOption(values: Record<string, unknown>): string {
  const region =
    (values.region as string | undefined) ?? process.env.SWARMLAMBDA_REGION ?? DEFAULT_REGION
  if (regionPosition(region) === null)
    throw new UsageError(`--region: "${region}" is not a known region`)
  return region
}

/** Resolves when the process is asked to stop. */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
}

/** `proxy`: one port in front of the edges. */
export const proxyCommand: Command = {
  summary: 'run the single-port HTTP proxy in front of the edges',
  usage: `swarm-lambda proxy --edges HOST:PORT[,HOST:PORT] [--host 127.0.0.1] [--port ${DEFAULT_PROXY_PORT}] [--region R] [--no-discover]

Forwards every request to the nearest healthy edge (health-checked every second), the least
busy among equals; a request whose connection fails is sent to the next edge. Adds the members
the edges list in GET /cluster unless --no-discover. Prints one JSON line when ready; runs until
SIGINT or SIGTERM.

  --edges LIST    edges to start from (SWARMLAMBDA_EDGES)
  --host HOST     address to listen on (SWARMLAMBDA_PROXY_HOST, default 127.0.0.1)
  --port PORT     port (SWARMLAMBDA_PROXY_PORT, default ${DEFAULT_PROXY_PORT})
  --region R      where the proxy stands, for "nearest" (SWARMLAMBDA_REGION, default ${DEFAULT_REGION})
  --no-discover   only the listed edges`,
  options: {
    edges: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    region: { type: 'string' },
    'no-discover': { type: 'boolean', default: false }
  },
  async run(values) {
    const log = createLogger({
      logLevel: logLevel(process.env.SWARMLAMBDA_LOG_LEVEL),
      nodeName: 'proxy'
    })
    const directory = new EdgeDirectory({
      edges: edgesOption(values),
      discover: values['no-discover'] !== true,
      region: regionOption(values),
      log: log.child({ component: 'directory' })
    })
    await directory.start()
    const proxy = new Proxy({
      host:
        (values.host as string | undefined) ?? process.env.SWARMLAMBDA_PROXY_HOST ?? '127.0.0.1',
      port: positiveIntOrZero(
        (values.port as string | undefined) ??
          process.env.SWARMLAMBDA_PROXY_PORT ??
          String(DEFAULT_PROXY_PORT),
        '--port'
      ),
      directory,
      log: log.child({ component: 'proxy' })
    })
    await proxy.listen()
    const { host, port } = proxy.address
    print({
      msg: 'proxy ready',
      url: `http://${host}:${port}`,
      edges: directory.list().map((e) => e.url)
    })
    await untilSignal()
    directory.close()
    await proxy.close()
  }
}

function positiveIntOrZero(value: string, flag: string): number {
  return value === '0' ? 0 : positiveInt(value, flag)
}
