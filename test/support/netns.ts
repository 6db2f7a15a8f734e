import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Every namespace a test makes is named `slfault-<test pid>-<host>`: stale ones can be found. */
const PREFIX = 'slfault-'
/** The hosts' subnet: private, and only ever inside the test's own namespaces. */
const SUBNET = '10.77.0'

/** Runs `ip ARGS`; rejects with its stderr. */
async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args)
  } catch (err) {
    const { stderr } = err as { stderr?: string }
    throw new Error(`ip ${args.join(' ')}: ${stderr?.trim() || (err as Error).message}`)
  }
}

/** Namespace names `ip netns list` shows. */
async function namespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list'])
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '')
}

/** True when a process with this pid is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Null when this process may make network namespaces, bridges and veth pairs (it tries, and
 * removes what it made), else why not: for a test's `skip`.
 */
export async function netnsUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return 'network namespaces are Linux only'
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  try {
    await run('ip', ['-V'])
  } catch {
    return 'no `ip` command (iproute2)'
  }
  const probe = `${PREFIX}${process.pid}-probe`
  try {
    await ip('netns', 'add', probe)
    await ip('-n', probe, 'link', 'add', 'br0', 'type', 'bridge')
    await ip('-n', probe, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1')
    return null
  } catch (err) {
    return `cannot make a network namespace, bridge and veth pair: ${(err as Error).message}`
  } finally {
    await ip('netns', 'del', probe).catch(() => undefined) // may never have been made
  }
}

/** A host of the test network: a namespace with one address. */
export interface Host {
  name: string
  /** The namespace's name. */
  ns: string
  address: string
  side: 'left' | 'right'
  /** The command that runs a program in the namespace (`SpawnOptions.prefix`). */
  prefix: string[]
}

/**
 * Two network segments that can be cut apart and joined again. Every host is a network
 * namespace with a veth pair into a hub namespace, where it is a port of the left or the right
 * bridge; one more veth pair, the trunk, joins the two bridges. `partition()` takes the trunk
 * down: each side still reaches its own hosts, nothing crosses. `heal()` brings it up. Nothing
 * is made in the host's own namespace, so the test cannot disturb it, and removing the
 * namespaces removes every link with them.
 */
export class PartitionNetwork {
  readonly hosts = new Map<string, Host>()
  private readonly hub: string
  private readonly made: string[] = []

  private constructor() {
    this.hub = `${PREFIX}${process.pid}-hub`
  }

  /**
   * Makes the network with the given hosts (addresses 10.77.0.1, .2, ... in order); the
   * namespaces are removed at teardown, and stale ones of a test that died are removed first.
   */
  static async create(
    t: { teardown(fn: () => unknown): void },
    hosts: { name: string; side: 'left' | 'right' }[]
  ): Promise<PartitionNetwork> {
    await removeStale()
    const network = new PartitionNetwork()
    t.teardown(() => network.destroy())
    await network.make(hosts)
    return network
  }

  /** The host of that name. */
  host(name: string): Host {
    const host = this.hosts.get(name)
    if (host === undefined) throw new Error(`no host ${name}`)
    return host
  }

  /** Cuts the trunk between the two bridges. */
  async partition(): Promise<void> {
    await ip('-n', this.hub, 'link', 'set', 'trunk-l', 'down')
  }

  /** Joins the two bridges again. */
  async heal(): Promise<void> {
    await ip('-n', this.hub, 'link', 'set', 'trunk-l', 'up')
  }

  /** Removes every namespace made (their links go with them). Idempotent. */
  async destroy(): Promise<void> {
    for (const ns of this.made.splice(0).reverse()) {
      await ip('netns', 'del', ns).catch(() => undefined) // already gone: nothing to remove
    }
  }

  private async make(hosts: { name: string; side: 'left' | 'right' }[]): Promise<void> {
    const hub = this.hub
    await ip('netns', 'add', hub)
    this.made.push(hub)
    await ip('-n', hub, 'link', 'add', 'br-left', 'type', 'bridge')
    await ip('-n', hub, 'link', 'add', 'br-right', 'type', 'bridge')
    await ip('-n', hub, 'link', 'add', 'trunk-l', 'type', 'veth', 'peer', 'name', 'trunk-r')
    await ip('-n', hub, 'link', 'set', 'trunk-l', 'master', 'br-left')
    await ip('-n', hub, 'link', 'set', 'trunk-r', 'master', 'br-right')
    for (const link of ['br-left', 'br-right', 'trunk-l', 'trunk-r']) {
      await ip('-n', hub, 'link', 'set', link, 'up')
    }
    for (const [i, { name, side }] of hosts.entries()) {
      const ns = `${PREFIX}${process.pid}-${name}`
      const address = `${SUBNET}.${i + 1}`
      const port = `p${i + 1}`
      await ip('netns', 'add', ns)
      this.made.push(ns)
      await ip(
        'link',
        'add',
        'eth0',
        'netns',
        ns,
        'type',
        'veth',
        'peer',
        'name',
        port,
        'netns',
        hub
      )
      await ip('-n', hub, 'link', 'set', port, 'master', `br-${side}`)
      await ip('-n', hub, 'link', 'set', port, 'up')
      await ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0')
      await ip('-n', ns, 'link', 'set', 'eth0', 'up')
      await ip('-n', ns, 'link', 'set', 'lo', 'up')
      this.hosts.set(name, { name, ns, address, side, prefix: ['ip', 'netns', 'exec', ns] })
    }
  }
}

/** Removes namespaces left by a test process that is gone (killed before its teardown). */
async function removeStale(): Promise<void> {
  for (const ns of await namespaces()) {
    const pid = Number(ns.slice(PREFIX.length).split('-')[0])
    if (ns.startsWith(PREFIX) && Number.isSafeInteger(pid) && pid > 0 && !alive(pid)) {
      await ip('netns', 'del', ns).catch(() => undefined) // raced with another cleaner
    }
  }
}
