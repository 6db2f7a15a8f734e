import type { Logger } from 'pino'
import {
  aliasRecord,
  urlRecord,
  versionCounter,
  versionRecord,
  type AliasRecord,
  type UrlRecord,
  type VersionRecord
} from '../wire/addressing.js'
import { decode, encode } from '../wire/codec.js'
import { eventInvokeRecord, type EventInvokeRecord } from '../wire/jobs.js'
import type { Registry } from './registry.js'
import { KEYS } from './writer.js'

/** What the merged view holds for one function. */
interface Addresses {
  /** By number; tombstones included (a deleted number is never given again). */
  versions: Map<number, VersionRecord>
  aliases: Map<string, AliasRecord>
  urls: Map<string, UrlRecord>
  eventInvoke: Map<string, EventInvokeRecord>
  /** The highest number any allocator recorded. */
  counter: number
}

/** The registry key of a version: numbers padded so keys sort as numbers. */
const versionKey = (name: string, n: number) =>
  `${KEYS.version}${name}/${String(n).padStart(10, '0')}`

/**
 * Versions, aliases and function URL configurations, merged from every registry writer: the
 * addressing layer's one view of what the registry stores under `ver/`, `alias/`, `url/` and
 * `seq/`. A version is immutable (its tombstone wins over it); an alias or a URL config is
 * last-writer-wins by revision, then by writer key, like function records. The view is rebuilt
 * when the registry's generation moves, so a read on the hot path is a map lookup.
 */
export class AddressBook {
  private built = -1
  private view = new Map<string, Addresses>()

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger
  ) {}

  /** Live versions of a function, by number. */
  versions(name: string): VersionRecord[] {
    const versions = this.of(name)?.versions
    if (versions === undefined) return []
    return [...versions.values()].filter((v) => !v.deleted).sort((a, b) => a.number - b.number)
  }

  /** A live version, or null. */
  version(name: string, n: number): VersionRecord | null {
    const version = this.of(name)?.versions.get(n)
    return version === undefined || version.deleted ? null : version
  }

  /** The highest version number ever given for a function (0: none), deleted ones included. */
  highest(name: string): number {
    const addresses = this.of(name)
    if (addresses === undefined) return 0
    return Math.max(addresses.counter, ...addresses.versions.keys())
  }

  /** Live aliases of a function, by name. */
  aliases(name: string): AliasRecord[] {
    const aliases = this.of(name)?.aliases
    if (aliases === undefined) return []
    return [...aliases.values()].filter((a) => !a.deleted).sort((a, b) => cmp(a.alias, b.alias))
  }

  /** An alias as the view has it (a tombstone included: its revision counts), or null. */
  aliasRecord(name: string, alias: string): AliasRecord | null {
    return this.of(name)?.aliases.get(alias) ?? null
  }

  /** Live URL configurations of a function. */
  urls(name: string): UrlRecord[] {
    const urls = this.of(name)?.urls
    if (urls === undefined) return []
    return [...urls.values()]
      .filter((u) => !u.deleted)
      .sort((a, b) => cmp(a.qualifier, b.qualifier))
  }

  /** A URL configuration as the view has it (a tombstone included), or null. */
  urlRecord(name: string, qualifier: string): UrlRecord | null {
    return this.of(name)?.urls.get(qualifier) ?? null
  }

  /** Live async settings of a function, by qualifier. */
  eventInvokes(name: string): EventInvokeRecord[] {
    const configs = this.of(name)?.eventInvoke
    if (configs === undefined) return []
    return [...configs.values()]
      .filter((e) => !e.deleted)
      .sort((a, b) => cmp(a.qualifier, b.qualifier))
  }

  /** Async settings at a qualifier as the view has them (a tombstone included), or null. */
  eventInvokeRecord(name: string, qualifier: string): EventInvokeRecord | null {
    return this.of(name)?.eventInvoke.get(qualifier) ?? null
  }

  putEventInvoke(config: EventInvokeRecord): Promise<void> {
    return this.registry.putEntry(
      `${KEYS.eventInvoke}${config.name}/${config.qualifier}`,
      encode(eventInvokeRecord, config)
    )
  }

  putVersion(version: VersionRecord): Promise<void> {
    return this.registry.putEntry(
      versionKey(version.name, version.number),
      encode(versionRecord, version)
    )
  }

  putAlias(alias: AliasRecord): Promise<void> {
    return this.registry.putEntry(
      `${KEYS.alias}${alias.name}/${alias.alias}`,
      encode(aliasRecord, alias)
    )
  }

  putUrl(url: UrlRecord): Promise<void> {
    return this.registry.putEntry(`${KEYS.url}${url.name}/${url.qualifier}`, encode(urlRecord, url))
  }

  putCounter(name: string, n: number): Promise<void> {
    return this.registry.putEntry(`${KEYS.counter}${name}`, encode(versionCounter, n))
  }

  private of(name: string): Addresses | undefined {
    if (this.built !== this.registry.generation) this.rebuild()
    return this.view.get(name)
  }

  private rebuild(): void {
    this.built = this.registry.generation
    const view = new Map<string, Addresses>()
    const at = (name: string): Addresses => {
      let addresses = view.get(name)
      if (addresses === undefined) {
        addresses = {
          versions: new Map(),
          aliases: new Map(),
          urls: new Map(),
          eventInvoke: new Map(),
          counter: 0
        }
        view.set(name, addresses)
      }
      return addresses
    }
    const writerOf = new Map<object, string>()
    this.each(KEYS.version, versionRecord, (writer, v) => {
      const versions = at(v.name).versions
      const held = versions.get(v.number)
      if (held === undefined || (v.deleted && !held.deleted)) {
        versions.set(v.number, v)
        writerOf.set(v, writer)
      } else if (!held.deleted && !v.deleted && held.function.sha256 !== v.function.sha256) {
        // Only a network partition lets two allocators give one number: the higher writer wins.
        const heldBy = writerOf.get(held) ?? ''
        this.log.warn({ name: v.name, version: v.number }, 'two versions with one number')
        if (writer > heldBy) versions.set(v.number, v)
      }
    })
    this.each(KEYS.alias, aliasRecord, (writer, a) => {
      const aliases = at(a.name).aliases
      if (newer(a, writer, aliases.get(a.alias), writerOf)) aliases.set(a.alias, a)
      writerOf.set(a, writer)
    })
    this.each(KEYS.url, urlRecord, (writer, u) => {
      const urls = at(u.name).urls
      if (newer(u, writer, urls.get(u.qualifier), writerOf)) urls.set(u.qualifier, u)
      writerOf.set(u, writer)
    })
    this.each(KEYS.eventInvoke, eventInvokeRecord, (writer, e) => {
      const configs = at(e.name).eventInvoke
      if (newer(e, writer, configs.get(e.qualifier), writerOf)) configs.set(e.qualifier, e)
      writerOf.set(e, writer)
    })
    for (const [, key, value] of this.registry.entries(KEYS.counter)) {
      try {
        const addresses = at(key.slice(KEYS.counter.length))
        addresses.counter = Math.max(addresses.counter, decode(versionCounter, value))
      } catch (err) {
        this.log.warn({ err, key }, 'registry entry ignored')
      }
    }
    this.view = view
  }

  private each<T>(
    prefix: string,
    codec: Parameters<typeof decode<T>>[0],
    apply: (writer: string, value: T) => void
  ): void {
    for (const [writer, key, value] of this.registry.entries(prefix)) {
      try {
        apply(writer, decode(codec, value))
      } catch (err) {
        this.log.warn({ err, key, writer: writer.slice(0, 16) }, 'registry entry ignored')
      }
    }
  }
}

/** True when `candidate` (from `writer`) wins over what is held: higher revision, then writer. */
function newer(
  candidate: { revision: number },
  writer: string,
  held: { revision: number } | undefined,
  writerOf: Map<object, string>
): boolean {
  if (held === undefined || candidate.revision > held.revision) return true
  return candidate.revision === held.revision && writer > (writerOf.get(held) ?? '')
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
