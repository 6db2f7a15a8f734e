import {
  FUNCTION_NOT_FOUND,
  INVALID_PARAMETER,
  PRECONDITION_FAILED,
  RESOURCE_CONFLICT,
  SwarmError,
  VERSION_UNAVAILABLE
} from '../errors.js'
import type { VersionRecord } from '../wire/addressing.js'
import type { FunctionRecord } from '../wire/function-record.js'
import type { AddressBook } from './addressing.js'
import type { AliasService } from './aliases.js'
import type { FunctionService } from './functions.js'
import type { Registry } from './registry.js'

/** The mutable version every function has. */
export const LATEST = '$LATEST'
/** How long an allocator waits for the members' writers to catch up before it counts. */
const REFRESH_MS = 1_000

/** Gives version numbers for a function: this edge's own, or a member's over RPC. */
export interface Allocator {
  /** One more than the highest number known here and `floor` (the caller's highest), recorded. */
  allocate(name: string, floor: number): Promise<number>
}

/**
 * Who allocates numbers for a function now: the same edge for every caller while the mesh is
 * connected (e.g. rendezvous hashing of the name over the edge and its healthy members). Null
 * means this edge; `exclude` names members that just failed to answer.
 */
export type AllocationRoute = (
  name: string,
  exclude: ReadonlySet<string>
) => { id: string; allocator: Allocator } | null

/** A function at a qualifier: the record that runs and the version that names it. */
export interface Target {
  record: FunctionRecord
  /** `$LATEST` or a published number, as X-Amz-Executed-Version reports it. */
  version: string
}

/** PublishVersion's optional checks and description. */
export interface PublishRequest {
  /** base64 sha256 the code must have (AWS CodeSha256). */
  codeSha256?: string | undefined
  /** The RevisionId $LATEST must have. */
  revisionId?: string | undefined
  description?: string | undefined
}

/**
 * Published versions: PublishVersion, ListVersionsByFunction, versioned reads and deletes, and
 * resolving a qualifier (`$LATEST`, a number, an alias) to what runs.
 *
 * Numbers are per function, cluster-wide and never reused. One edge at a time allocates them
 * for a function (the route's owner), one after another, after refreshing its mirror of every
 * connected member's writer; it records each number it gives (`seq/`), so an owner that takes
 * over later counts past it. Two edges publishing at once thus ask the same allocator and get
 * two numbers. Only a partitioned mesh (two owners that cannot see each other) could give one
 * number twice; the view then keeps one of them (the higher writer's) everywhere, and logs it.
 */
export class VersionService implements Allocator {
  private allocating: Promise<unknown> = Promise.resolve()
  private publishing = new Map<string, Promise<unknown>>()

  constructor(
    private readonly functions: FunctionService,
    private readonly aliases: AliasService,
    private readonly book: AddressBook,
    private readonly registry: Registry,
    private readonly route: AllocationRoute = () => null
  ) {}

  allocate(name: string, floor: number): Promise<number> {
    const run = async () => {
      await this.registry.refresh(REFRESH_MS)
      const n = Math.max(floor, this.book.highest(name)) + 1
      await this.book.putCounter(name, n)
      return n
    }
    const result = this.allocating.then(run, run)
    this.allocating = result.catch(() => undefined)
    return result
  }

  /**
   * Publishes $LATEST as the next version; when $LATEST is unchanged since the last version,
   * that version is returned again (as AWS does). Publishes of one function on this edge run
   * one at a time.
   */
  publish(name: string, request: PublishRequest = {}): Promise<VersionRecord> {
    const run = async () => {
      const latest = await this.functions.get(name)
      const sha = Buffer.from(latest.sha256, 'hex').toString('base64')
      if (request.codeSha256 !== undefined && request.codeSha256 !== sha) {
        throw INVALID_PARAMETER('CodeSha256', `${request.codeSha256} is not $LATEST's (${sha})`)
      }
      if (request.revisionId !== undefined && request.revisionId !== revisionOf(latest)) {
        throw PRECONDITION_FAILED(`The RevisionId provided does not match the latest RevisionId`)
      }
      const last = this.book.versions(name).at(-1)
      if (last !== undefined && last.function.version === latest.version) {
        if (last.function.sha256 === latest.sha256) return last
      }
      const number = await this.number(name)
      const version: VersionRecord = {
        name,
        number,
        function: latest,
        description: request.description ?? latest.description,
        published: Date.now(),
        deleted: false
      }
      await this.book.putVersion(version)
      return version
    }
    const previous = this.publishing.get(name) ?? Promise.resolve()
    const result = previous.then(run, run)
    const settled = result.catch(() => undefined)
    this.publishing.set(name, settled)
    void settled.then(() => {
      if (this.publishing.get(name) === settled) this.publishing.delete(name)
    })
    return result
  }

  /** Live versions, oldest first. */
  async list(name: string): Promise<VersionRecord[]> {
    await this.functions.get(name)
    return this.book.versions(name)
  }

  /** The function at a qualifier (`$LATEST` when absent); an alias picks by its weights. */
  async target(name: string, qualifier: string | undefined): Promise<Target> {
    if (qualifier === undefined || qualifier === LATEST) {
      return { record: await this.functions.get(name), version: LATEST }
    }
    if (isVersionNumber(qualifier)) {
      const version = this.book.version(name, Number(qualifier))
      if (version === null) throw FUNCTION_NOT_FOUND(`${name}:${qualifier}`)
      return { record: version.function, version: qualifier }
    }
    const version = this.aliases.pick(name, qualifier)
    return this.target(name, version)
  }

  /**
   * What GetFunction shows at a qualifier: $LATEST, a version, or the version an alias names
   * (its main one: reading is not invoking, no weights apply).
   */
  async describe(
    name: string,
    qualifier: string | undefined
  ): Promise<{ record: FunctionRecord; published?: VersionRecord }> {
    if (qualifier !== undefined && qualifier !== LATEST && !isVersionNumber(qualifier)) {
      qualifier = (await this.aliases.get(name, qualifier)).functionVersion
    }
    if (qualifier === undefined || qualifier === LATEST) {
      return { record: await this.functions.get(name) }
    }
    const published = this.book.version(name, Number(qualifier))
    if (published === null) throw FUNCTION_NOT_FOUND(`${name}:${qualifier}`)
    return { record: published.function, published }
  }

  /**
   * DeleteFunction with a qualifier: deletes one version (never $LATEST, never one an alias
   * names). Without one, the function and every version, alias and URL of it go.
   */
  async delete(name: string, qualifier: string | undefined): Promise<void> {
    if (qualifier === undefined) {
      await this.functions.delete(name)
      const now = Date.now()
      for (const version of this.book.versions(name)) {
        await this.book.putVersion({ ...version, deleted: true, published: now })
      }
      await this.aliases.deleteAll(name)
      return
    }
    if (qualifier === LATEST) {
      throw INVALID_PARAMETER('Qualifier', '$LATEST cannot be deleted without the function')
    }
    if (!isVersionNumber(qualifier)) {
      throw INVALID_PARAMETER(
        'Qualifier',
        `${qualifier} is not a version: delete an alias with DeleteAlias`
      )
    }
    const version = this.book.version(name, Number(qualifier))
    if (version === null) throw FUNCTION_NOT_FOUND(`${name}:${qualifier}`)
    const users = this.aliases.naming(name, qualifier)
    if (users.length > 0) {
      throw RESOURCE_CONFLICT(
        `Unable to delete version ${qualifier} of ${name}: alias(es) ${users.join(', ')} name it`
      )
    }
    await this.book.putVersion({ ...version, deleted: true })
  }

  /** A number from the function's allocator, trying the next owner when one does not answer. */
  private async number(name: string): Promise<number> {
    const failed = new Set<string>()
    for (;;) {
      const owner = this.route(name, failed)
      if (owner === null) return this.allocate(name, this.book.highest(name))
      try {
        return await owner.allocator.allocate(name, this.book.highest(name))
      } catch (err) {
        const code = err instanceof SwarmError ? err.code : ''
        if (code !== 'PEER_UNAVAILABLE' && code !== 'PEER_TIMEOUT') {
          throw VERSION_UNAVAILABLE(name, err)
        }
        failed.add(owner.id)
      }
    }
  }
}

/** AWS's RevisionId of a record: stable while it is unchanged. */
export function revisionOf(record: FunctionRecord): string {
  return `${record.sha256.slice(0, 8)}-${record.version}`
}

/** A published version's qualifier: a positive integer. */
export function isVersionNumber(qualifier: string): boolean {
  return /^[1-9][0-9]{0,9}$/.test(qualifier)
}
