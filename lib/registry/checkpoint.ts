import { open, readFile, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import type Hypercore from 'hypercore'

/** The file, under an edge's state dir, where its registry records what it has written. */
export const CHECKPOINT_FILE = 'registry.checkpoint'

/** What the checkpoint says of a core: its key and how many blocks this edge had written. */
export interface CoreMark {
  key: string
  length: number
}

/** The own registry's cores after the last write this edge made. */
export interface Checkpoint {
  version: 1
  registry: CoreMark
  blobs: CoreMark
}

/** The own writer's cores, as opened from the Corestore. */
export interface OwnCores {
  registry: Hypercore
  blobs: Hypercore
}

/**
 * A record, kept outside the Corestore, of how long this edge's own registry cores were after
 * its last write. The Corestore is a RocksDB database: a truncated or damaged write-ahead log
 * is replayed only up to the damage and the database opens without complaint, and a deleted or
 * recreated database is simply empty, so without an outside record an edge would start with a
 * partial or empty registry and nobody would know. Worse, its next deploy would append blocks at
 * positions its members already hold with other content: a fork of its writer. At boot the
 * cores must hold at least what the checkpoint names; a fresh state dir has no checkpoint and
 * nothing to check.
 *
 * The record is JSON rather than a compact-encoding codec: it is the file an operator is told
 * to look at when the edge refuses to start, so it should be readable as it is.
 */
export class RegistryCheckpoint {
  readonly file: string
  /** The last checkpoint saved by this process, so an unchanged one is not written again. */
  private last = ''

  constructor(file: string) {
    this.file = file
  }

  /** The state dir the checkpoint belongs to (what error messages name). */
  get stateDir(): string {
    return dirname(this.file)
  }

  /** The saved checkpoint, or null when there is none (a fresh state dir, or an older one). */
  async load(): Promise<Checkpoint | null> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    const checkpoint = parseCheckpoint(text)
    if (checkpoint === null) {
      throw new Error(
        `${this.file} is not a registry checkpoint (damaged or truncated): the registry cannot ` +
          `be checked. If only this file was damaged, delete it and the edge starts unchecked ` +
          `(and writes a new one); otherwise: ${damagedStateAdvice(this.stateDir)}`
      )
    }
    return checkpoint
  }

  /**
   * Records the cores' current lengths: written to a temporary file, flushed to disk and renamed
   * over the old one, so a crash leaves either the old or the new checkpoint, never a torn one.
   */
  async save(cores: OwnCores): Promise<void> {
    const checkpoint: Checkpoint = {
      version: 1,
      registry: mark(cores.registry),
      blobs: mark(cores.blobs)
    }
    const text = JSON.stringify(checkpoint) + '\n'
    if (text === this.last) return
    const temporary = `${this.file}.tmp`
    const handle = await open(temporary, 'w', 0o600)
    try {
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, this.file)
    this.last = text
  }

  /**
   * Throws, saying what is wrong and what to do, unless the cores hold every block the
   * checkpoint names: the same keys (not a Corestore recreated with a new primary key), at least
   * the recorded lengths, and every block up to their length present locally.
   */
  async verify(checkpoint: Checkpoint | null, cores: OwnCores): Promise<void> {
    const stateDir = this.stateDir
    const problems: string[] = []
    for (const [what, core] of Object.entries(cores) as [keyof OwnCores, Hypercore][]) {
      const expected = checkpoint?.[what] ?? null
      const key = (core.key as Buffer).toString('hex')
      if (expected !== null && expected.key !== key) {
        // A new primary key names every core anew: one problem, whatever the other core says.
        problems.push(
          core.length === 0
            ? `the Corestore was deleted or recreated (its ${what} core is empty, with another ` +
                `key than ${short(expected.key)} the edge wrote)`
            : `the Corestore was replaced (its ${what} core is ${short(key)}, not ` +
                `${short(expected.key)} the edge wrote)`
        )
        break
      }
      if (expected !== null && core.length < expected.length) {
        problems.push(
          `the Corestore lost writes: its ${what} core has ${core.length} blocks, but the edge ` +
            `had written ${expected.length} (truncated or damaged files)`
        )
      }
      if (core.length > 0 && !(await core.has(0, core.length))) {
        problems.push(`its ${what} core is missing blocks below its length ${core.length}`)
      }
    }
    if (problems.length > 0) {
      throw new Error(
        `the registry in ${stateDir} is damaged: ${problems.join('; ')}. Refusing to start ` +
          `with a partial registry. ${damagedStateAdvice(stateDir)}`
      )
    }
  }
}

/** What to do about a damaged state dir (the end of every refusal to start on one). */
export function damagedStateAdvice(stateDir: string): string {
  return (
    `Restore ${stateDir} from a backup, or move it aside and start this edge on an empty ` +
    `state dir: it then gets a new registry writer and replicates every function its members ` +
    `hold (functions deployed only on this edge, and never replicated, are lost).`
  )
}

/** The refusal for an own registry whose stored blocks cannot be read back (the cause attached). */
export function unreadable(stateDir: string, cause: unknown): Error {
  return new Error(
    `the registry in ${stateDir} is damaged: its own core cannot be read back ` +
      `(${(cause as Error).message}). Refusing to start with a partial registry. ` +
      damagedStateAdvice(stateDir),
    { cause }
  )
}

function mark(core: Hypercore): CoreMark {
  return { key: (core.key as Buffer).toString('hex'), length: core.length }
}

function short(hex: string): string {
  return hex.slice(0, 16)
}

function parseCheckpoint(text: string): Checkpoint | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null // not JSON: reported by the caller as a damaged checkpoint
  }
  if (typeof value !== 'object' || value === null) return null
  const { version, registry, blobs } = value as Record<string, unknown>
  if (version !== 1 || !isMark(registry) || !isMark(blobs)) return null
  return { version, registry, blobs }
}

function isMark(value: unknown): value is CoreMark {
  if (typeof value !== 'object' || value === null) return false
  const { key, length } = value as Record<string, unknown>
  return (
    typeof key === 'string' &&
    /^[0-9a-f]{64}$/.test(key) &&
    typeof length === 'number' &&
    Number.isSafeInteger(length) &&
    length >= 0
  )
}
