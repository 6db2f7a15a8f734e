import { spawn, type ChildProcess } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { deriveDevAccessKey, loadClusterKey } from '../../lib/cluster/key.js'
import { parseAccessKeys } from '../../lib/gateway/auth.js'
import { EdgeDirectory } from '../../lib/directory.js'
import { DEFAULT_DNS_PORT, DnsServer, ZONE } from '../../lib/dns/server.js'
import { createLogger, logLevel } from '../../lib/log.js'
import { DEFAULT_PROXY_PORT, Proxy } from '../../lib/proxy/server.js'
import { positiveInt, print, UsageError, type Command } from '../command.js'
import { untilSignal } from './proxy.js'

const CLI = fileURLToPath(new URL('../swarm-lambda.js', import.meta.url))
const EDGES = [
  { name: 'edge-a', region: 'us-west-sfo' },
  { name: 'edge-b', region: 'us-east-iad' },
  { name: 'edge-c', region: 'eu-central-fra' }
] as const

/** An edge process of the local mesh. */
interface Child {
  name: string
  url: string
  child: ChildProcess
}

/** `dev` (what `npm start` runs): a whole local mesh. */
export const devCommand: Command = {
  summary: 'run a whole local mesh: three edges (each a DHT node), DNS and proxy',
  usage: `swarm-lambda dev [--state-dir state/local] [--base-port 8787] [--proxy-port ${DEFAULT_PROXY_PORT}] [--dns-port ${DEFAULT_DNS_PORT}] [--dht-port N]

Starts three edges as their own processes (edge-a us-west-sfo :8787, edge-b us-east-iad :8788,
edge-c eu-central-fra :8789; each a DHT node, joining through the other two: no bootstrap
process; state in STATE-DIR/edge-*, one cluster key in STATE-DIR), the DNS server for ${ZONE}
(UDP+TCP) and the proxy, all on 127.0.0.1. Deploy, delete and jobs need an access key: those in
SWARMLAMBDA_ACCESS_KEYS, else one derived from the cluster key. Prints the endpoints, the
credentials and a JSON line {"msg":"mesh ready",...,"credentials":{...}}; Ctrl-C (SIGINT) or
SIGTERM stops everything.

  --state-dir DIR    where the edges keep their state (default state/local)
  --base-port N      edge-a's HTTP port; edge-b and edge-c take the next two (default 8787)
  --proxy-port N     the proxy's port (SWARMLAMBDA_PROXY_PORT, default ${DEFAULT_PROXY_PORT})
  --dns-port N       the DNS server's port (SWARMLAMBDA_DNS_PORT, default ${DEFAULT_DNS_PORT})
  --dht-port N       edge-a's DHT node's UDP port; edge-b and edge-c take the next two
                     (default: the HTTP ports' numbers). Each edge joins through the others;
                     SWARMLAMBDA_BOOTSTRAP (host:port list, or public) adds bootstrap nodes
  --pretty           human-readable logs, one line each (every process) instead of JSON
                     lines; the default in a terminal (SWARMLAMBDA_LOG_PRETTY=0 for JSON)`,
  options: {
    'state-dir': { type: 'string', default: 'state/local' },
    'base-port': { type: 'string', default: '8787' },
    'proxy-port': { type: 'string' },
    'dns-port': { type: 'string' },
    'dht-port': { type: 'string' },
    pretty: { type: 'boolean' }
  },
  async run(values) {
    // In a terminal, people read the logs: pretty unless asked otherwise. Piped, JSON lines.
    const pretty =
      values.pretty === true ||
      (values.pretty === undefined &&
        process.env.SWARMLAMBDA_LOG_PRETTY === undefined &&
        process.stdout.isTTY === true)
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...(pretty ? { SWARMLAMBDA_LOG_PRETTY: '1' } : {})
    }
    const stateDir = values['state-dir'] as string
    const basePort = positiveInt(values['base-port'], '--base-port')
    const proxyPort = positiveInt(
      values['proxy-port'] ?? env.SWARMLAMBDA_PROXY_PORT ?? DEFAULT_PROXY_PORT,
      '--proxy-port'
    )
    const dnsPort = positiveInt(
      values['dns-port'] ?? env.SWARMLAMBDA_DNS_PORT ?? DEFAULT_DNS_PORT,
      '--dns-port'
    )
    const dhtBase = positiveInt(values['dht-port'] ?? values['base-port'], '--dht-port')
    const log = createLogger({
      logLevel: logLevel(env.SWARMLAMBDA_LOG_LEVEL),
      nodeName: 'dev',
      logPretty: pretty || ['1', 'true', 'yes'].includes(env.SWARMLAMBDA_LOG_PRETTY ?? '')
    })
    const stops: (() => Promise<unknown> | unknown)[] = []
    const stopAll = async () => {
      for (const stop of stops.reverse()) await stop()
      stops.length = 0
    }

    try {
      await mkdir(stateDir, { recursive: true })
      const clusterKey = await loadClusterKey(stateDir, env.SWARMLAMBDA_CLUSTER_KEY ?? null)
      const key = clusterKey.toString('hex')
      // Deploy, delete and jobs need an access key: the configured ones, else one derived from
      // the cluster key (the same on every start of this state dir), printed below.
      const configured = parseAccessKeys(env.SWARMLAMBDA_ACCESS_KEYS ?? '', (entry) => {
        throw new UsageError(`SWARMLAMBDA_ACCESS_KEYS: "${entry}" is not id:secret`)
      })
      const credentials = configured[0] ?? deriveDevAccessKey(clusterKey)
      if (configured.length === 0) {
        env.SWARMLAMBDA_ACCESS_KEYS = `${credentials.id}:${credentials.secret}`
      }
      const token = `${credentials.id}:${credentials.secret}`

      // Every edge is a DHT node on a fixed UDP port and joins through the other two: no
      // bootstrap process, and any edge restarted alone finds the others (and they it).
      const dhtPorts = EDGES.map((_, i) => dhtBase + i)
      for (const port of dhtPorts) await udpPortFree(port) // a busy port fails the edge late
      const dhtAddress = (i: number) => `127.0.0.1:${dhtPorts[i]}`
      const edges: Child[] = []
      stops.push(() => Promise.all(edges.map((e) => stopChild(e.child))))
      const started = await Promise.allSettled(
        EDGES.map(({ name, region }, i) =>
          startEdge(name, {
            ...env,
            SWARMLAMBDA_NODE_NAME: name,
            SWARMLAMBDA_REGION: region,
            SWARMLAMBDA_HTTP_PORT: String(basePort + i),
            SWARMLAMBDA_STATE_DIR: join(stateDir, name),
            SWARMLAMBDA_CLUSTER_KEY: key,
            SWARMLAMBDA_DHT_PORT: String(dhtPorts[i]),
            SWARMLAMBDA_JOIN: EDGES.flatMap((_, j) => (j === i ? [] : [dhtAddress(j)])).join(',')
          })
        )
      )
      for (const outcome of started) if (outcome.status === 'fulfilled') edges.push(outcome.value)
      const failed = started.find((o) => o.status === 'rejected')
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason

      const directory = new EdgeDirectory({
        edges: EDGES.map((_, i) => ({ host: '127.0.0.1', port: basePort + i })),
        discover: false,
        region: EDGES[0].region,
        log: log.child({ component: 'directory' })
      })
      await directory.start()
      stops.push(() => directory.close())
      const proxy = new Proxy({
        host: '127.0.0.1',
        port: proxyPort,
        directory,
        log: log.child({ component: 'proxy' })
      })
      await proxy.listen()
      stops.push(() => proxy.close())
      const dns = new DnsServer({
        host: '127.0.0.1',
        port: dnsPort,
        zone: {
          zone: ZONE,
          proxy: { a: ['127.0.0.1'], aaaa: [] },
          edges: () =>
            directory
              .list()
              .flatMap((e) => (e.name === null ? [] : [{ name: e.name, address: e.host }]))
        },
        log: log.child({ component: 'dns' })
      })
      await dns.listen()
      stops.push(() => dns.close())

      const endpoint = `http://${ZONE}:${proxyPort}`
      console.error(
        [
          '',
          'swarm-lambda local mesh',
          ...edges.map((e) => `  ${e.name.padEnd(8)} ${e.url}`),
          `  proxy    http://127.0.0.1:${proxyPort}   (${endpoint} through the DNS server)`,
          `  dns      127.0.0.1:${dnsPort} udp+tcp  (dig @127.0.0.1 -p ${dnsPort} ${ZONE})`,
          `  dht      ${dhtPorts.map((_, i) => dhtAddress(i)).join(', ')} udp (every edge is a DHT node)`,
          `  state    ${stateDir}`,
          '',
          `  credentials (${configured.length > 0 ? 'from SWARMLAMBDA_ACCESS_KEYS' : 'generated for this state dir'}; deploy, delete and jobs need them):`,
          `    export AWS_ACCESS_KEY_ID=${credentials.id} AWS_SECRET_ACCESS_KEY=${credentials.secret} AWS_DEFAULT_REGION=us-east-1`,
          `    export SWARMLAMBDA_TOKEN=${token}   # curl -H "authorization: Bearer $SWARMLAMBDA_TOKEN"`,
          '',
          `  curl --resolve ${ZONE}:${proxyPort}:127.0.0.1 -H "authorization: Bearer $SWARMLAMBDA_TOKEN" ${endpoint}/2015-03-31/functions/`,
          '  Ctrl-C stops everything.',
          ''
        ].join('\n')
      )
      print({
        msg: 'mesh ready',
        endpoint,
        proxy: `http://127.0.0.1:${proxyPort}`,
        dns: `127.0.0.1:${dnsPort}`,
        dht: dhtPorts.map((_, i) => dhtAddress(i)),
        edges: edges.map((e) => ({ name: e.name, url: e.url, pid: e.child.pid })),
        credentials: { accessKeyId: credentials.id, secretAccessKey: credentials.secret, token }
      })
      let stopping = false
      for (const edge of edges) {
        edge.child.once('exit', (code, signal) => {
          if (stopping) log.info({ edge: edge.name, code, signal }, 'edge stopped')
          else
            log.warn(
              { edge: edge.name, code, signal },
              'an edge exited; the proxy routes around it'
            )
        })
      }
      await untilSignal()
      stopping = true
      log.info('stopping the local mesh')
    } finally {
      await stopAll()
    }
  }
}

/**
 * Starts `swarm-lambda edge` with an IPC channel (it says when it is ready, and stops if this
 * process dies) and resolves once it is ready; its logs go to ours.
 */
function startEdge(name: string, env: NodeJS.ProcessEnv): Promise<Child> {
  const child = spawn(process.execPath, [CLI, 'edge'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc']
  })
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
    process.stdout.write(line + '\n')
  )
  return new Promise<Child>((resolve, reject) => {
    child.on('message', (message: { msg?: unknown; url?: unknown }) => {
      if (message.msg === 'edge ready' && typeof message.url === 'string') {
        resolve({ name, url: message.url, child })
      }
    })
    child.once('exit', (code) =>
      reject(new Error(`${name} exited before it was ready (code ${code}); see its log above`))
    )
  })
}

/** Resolves if a UDP port can be bound on 127.0.0.1 (and frees it); a UsageError if not. */
async function udpPortFree(port: number): Promise<void> {
  const socket = createSocket('udp4')
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(port, '127.0.0.1', () => resolve())
    })
  } catch {
    throw new UsageError(
      `UDP port ${port} is in use (another local mesh?): stop it, or use --dht-port`
    )
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve())).catch(() => undefined)
  }
}

/** SIGTERM, then wait for the exit (SIGKILL after 10 s). */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}
