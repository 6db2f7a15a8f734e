import { ConfigError, loadConfig } from '../../lib/config.js'
import { SETTINGS } from '../../lib/flags.js'
import { Edge } from '../../lib/edge.js'
import type { Command } from '../command.js'

const flags = Object.values(SETTINGS)

/** `edge`: start one edge and run until SIGINT/SIGTERM. */
export const edgeCommand: Command = {
  summary: 'start an edge (HTTP gateway + Wasm executor)',
  usage: `swarm-lambda edge [options]

Starts an edge. Each option can also be set by its environment variable; a flag wins.
Invalid settings are all reported together and the command exits 2. SIGINT or SIGTERM
stops accepting requests (503 meanwhile), finishes or fails in-flight calls and closes the
stores; a second signal exits at once. Started with an IPC channel, it sends {msg: 'edge ready',
url} to its parent and stops when the parent goes away.

${flags.map((s) => `  --${s.flag.padEnd(12)} ${s.env.padEnd(26)} ${s.help}`).join('\n')}`,
  options: Object.fromEntries(
    flags.map((s) => [s.flag, { type: s.flag === 'pretty' ? 'boolean' : 'string' }])
  ),
  async run(values) {
    let config
    try {
      const { pretty, ...rest } = values
      const flagValues = { ...rest, ...(pretty === true ? { pretty: 'true' } : {}) }
      config = loadConfig(flagValues as Record<string, string | undefined>, process.env)
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      console.error(err.message)
      return 2
    }
    const edge = new Edge(config)
    try {
      await edge.ready()
    } catch (err) {
      // A locked state dir (another edge owns it), a port in use, an unreadable cluster key...
      console.error(`cannot start the edge: ${(err as Error).message}`)
      return 1
    }
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) {
        // Ctrl-C reaches every process of the terminal's group, and `dev` then sends SIGTERM to
        // its edges: that one is ignored (the stop is under way). A second Ctrl-C forces it.
        if (signal === 'SIGINT') process.exit(130)
        return
      }
      stopping = true
      edge.log.info({ signal }, 'stopping')
      edge.close().then(
        () => process.exit(0),
        (err: unknown) => {
          edge.log.error({ err }, 'close failed')
          process.exit(1)
        }
      )
    }
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGTERM', () => stop('SIGTERM'))
    if (process.send !== undefined) {
      // Started by a parent with an IPC channel (`swarm-lambda dev`): tell it we are ready
      // whatever the log level, and stop when it goes away, even if it was killed.
      process.send({ msg: 'edge ready', url: edge.url })
      process.once('disconnect', () => stop('parent gone'))
    }
    await new Promise<never>(() => {}) // runs until a signal
  }
}
