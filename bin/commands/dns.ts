import { DEFAULT_REGION } from '../../lib/flags.js'
import { EdgeDirectory } from '../../lib/directory.js'
import { DEFAULT_DNS_HOST, DEFAULT_DNS_PORT, DnsServer, ZONE } from '../../lib/dns/server.js'
import { createLogger, logLevel } from '../../lib/log.js'
import { positiveInt, print, UsageError, type Command } from '../command.js'
import { edgesOption, untilSignal } from './proxy.js'

/** `dns`: the authoritative server for the mesh's zone. */
export const dnsCommand: Command = {
  summary: `run the DNS server for ${ZONE}`,
  usage: `swarm-lambda dns [--host ${DEFAULT_DNS_HOST}] [--port ${DEFAULT_DNS_PORT}] [--proxy-address 127.0.0.1] [--proxy-address6 ADDR] [--edges HOST:PORT,...]

Answers, on UDP and TCP, A (and AAAA where given) for ${ZONE} and *.${ZONE} with the proxy's
address, and NAME.edges.${ZONE} with the address of the edge called NAME (names come from the
edges' /healthz and GET /cluster); SOA and NS for the zone; NXDOMAIN for other names in it;
REFUSED for every name outside it. Prints one JSON line when ready; runs until SIGINT or SIGTERM.

  --host HOST             address to listen on (SWARMLAMBDA_DNS_HOST, default ${DEFAULT_DNS_HOST})
  --port PORT             UDP and TCP port (SWARMLAMBDA_DNS_PORT, default ${DEFAULT_DNS_PORT})
  --proxy-address LIST    IPv4 answers for ${ZONE} (SWARMLAMBDA_PROXY_ADDRESS, default 127.0.0.1)
  --proxy-address6 LIST   IPv6 answers (SWARMLAMBDA_PROXY_ADDRESS6, default none)
  --edges LIST            edges whose names to serve (SWARMLAMBDA_EDGES; optional)`,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'proxy-address': { type: 'string' },
    'proxy-address6': { type: 'string' },
    edges: { type: 'string' }
  },
  async run(values) {
    const env = process.env
    const list = (text: string | undefined) =>
      (text ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    const edges = edgesOption(values, true)
    const portText =
      (values.port as string | undefined) ?? env.SWARMLAMBDA_DNS_PORT ?? String(DEFAULT_DNS_PORT)
    const log = createLogger({ logLevel: logLevel(env.SWARMLAMBDA_LOG_LEVEL), nodeName: 'dns' })
    const directory = new EdgeDirectory({
      edges,
      discover: true,
      region: DEFAULT_REGION,
      log: log.child({ component: 'directory' })
    })
    await directory.start()
    const server = new DnsServer({
      host: (values.host as string | undefined) ?? env.SWARMLAMBDA_DNS_HOST ?? DEFAULT_DNS_HOST,
      port: portText === '0' ? 0 : positiveInt(portText, '--port'),
      zone: {
        proxy: {
          a: list(
            (values['proxy-address'] as string | undefined) ??
              env.SWARMLAMBDA_PROXY_ADDRESS ??
              '127.0.0.1'
          ),
          aaaa: list(
            (values['proxy-address6'] as string | undefined) ?? env.SWARMLAMBDA_PROXY_ADDRESS6
          )
        },
        edges: () =>
          directory
            .list()
            .flatMap((e) => (e.name === null ? [] : [{ name: e.name, address: e.host }]))
      },
      log: log.child({ component: 'dns' })
    })
    let ports
    try {
      ports = await server.listen()
    } catch (err) {
      directory.close()
      throw new UsageError(`cannot listen: ${(err as Error).message}`)
    }
    print({ msg: 'dns ready', zone: ZONE, udp: ports.udp, tcp: ports.tcp })
    await untilSignal()
    directory.close()
    await server.close()
  }
}
