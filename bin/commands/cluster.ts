import { access, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import HyperDHT from 'hyperdht'
import { CLUSTER_KEY_FILE, generateClusterKey } from '../../lib/cluster/key.js'
import { positiveInt, print, UsageError, type Command } from '../command.js'

const DEFAULT_DHT_PORT = 49737

/** `keygen`: a new cluster key. */
export const keygenCommand: Command = {
  summary: 'create a new cluster key',
  usage: `swarm-lambda keygen [--state-dir DIR] [--force]

Prints a new 32-byte cluster key as hex. With --state-dir, also saves it there as
${CLUSTER_KEY_FILE} (mode 0600), where an edge using that state dir finds it; an existing key
is kept unless --force. Edges with the same key form one cluster; give it to each with
SWARMLAMBDA_CLUSTER_KEY or --cluster-key, or save it in each edge's state dir.

  --state-dir DIR   save the key in DIR/${CLUSTER_KEY_FILE}
  --force           replace a saved key`,
  options: { 'state-dir': { type: 'string' }, force: { type: 'boolean', default: false } },
  async run(values) {
    const key = generateClusterKey().toString('hex')
    const dir = values['state-dir'] as string | undefined
    if (dir !== undefined) {
      const file = join(dir, CLUSTER_KEY_FILE)
      const exists = await access(file).then(
        () => true,
        () => false
      )
      if (exists && values.force !== true) {
        throw new UsageError(`${file} already holds a cluster key (use --force to replace it)`)
      }
      await mkdir(dir, { recursive: true })
      await writeFile(file, key + '\n', { mode: 0o600 })
    }
    console.log(key)
  }
}

/** `dht`: a DHT bootstrap node for a cluster with no internet. */
export const dhtCommand: Command = {
  summary: 'run a local DHT bootstrap node',
  usage: `swarm-lambda dht [--host 127.0.0.1] [--port ${DEFAULT_DHT_PORT}]

Runs a HyperDHT bootstrap node, so edges can find each other without the public DHT: give
edges SWARMLAMBDA_BOOTSTRAP=HOST:PORT. Prints one JSON line when ready; runs until SIGINT
or SIGTERM.

  --host HOST   address to bind and advertise (default 127.0.0.1)
  --port PORT   UDP port (default ${DEFAULT_DHT_PORT})`,
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: String(DEFAULT_DHT_PORT) }
  },
  async run(values) {
    const host = values.host as string
    const port = positiveInt(values.port, '--port')
    const node = HyperDHT.bootstrapper(port, host, { host })
    await node.ready()
    print({ msg: 'dht ready', host, port, bootstrap: `${host}:${port}` })
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await node.destroy()
  }
}
