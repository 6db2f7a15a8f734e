import { randomUUID } from 'node:crypto'
import {
  INVALID_PARAMETER,
  PRECONDITION_FAILED,
  RESOURCE_CONFLICT,
  RESOURCE_NOT_FOUND
} from '../errors.js'
import type { AliasRecord, VersionWeight } from '../wire/addressing.js'
import type { AddressBook } from './addressing.js'
import type { FunctionService } from './functions.js'
import { isVersionNumber } from './versions.js'

const ALIAS = /^(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}$/
/** The golden ratio's fraction: steps that spread over [0, 1) as evenly as any sequence does. */
const GOLDEN = 0.6180339887498949

/** What CreateAlias and UpdateAlias say (absent members of an update keep their value). */
export interface AliasChange {
  functionVersion?: string | undefined
  description?: string | undefined
  /** RoutingConfig.AdditionalVersionWeights: version → weight (0 to 1). */
  weights?: Record<string, number> | undefined
  /** UpdateAlias's optimistic check. */
  revisionId?: string | undefined
}

/**
 * Aliases (CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases): a name for a version
 * of a function, optionally sending a weighted share of invocations to a second version.
 * Stored in the registry like deploys, last writer wins by revision.
 *
 * The split is not a coin toss: each alias walks the golden-ratio sequence from a random start,
 * so over any run of N invocations on an edge the share of the second version is within about
 * 1/N of its weight (a random split wanders by √N).
 */
export class AliasService {
  private readonly walk = new Map<string, number>()

  constructor(
    private readonly functions: FunctionService,
    private readonly book: AddressBook
  ) {}

  async create(name: string, alias: string, change: AliasChange): Promise<AliasRecord> {
    await this.functions.get(name)
    checkAlias(alias)
    const held = this.book.aliasRecord(name, alias)
    if (held !== null && !held.deleted) {
      throw RESOURCE_CONFLICT(`Alias already exists: ${name}:${alias}`)
    }
    if (change.functionVersion === undefined) {
      throw INVALID_PARAMETER('FunctionVersion', 'is required')
    }
    const now = Date.now()
    const record: AliasRecord = {
      name,
      alias,
      functionVersion: change.functionVersion,
      weights: this.weights(name, change.functionVersion, change.weights ?? {}),
      description: change.description ?? '',
      revision: (held?.revision ?? 0) + 1,
      revisionId: randomUUID(),
      created: now,
      modified: now,
      deleted: false
    }
    this.checkVersion(name, record.functionVersion)
    await this.book.putAlias(record)
    return record
  }

  async get(name: string, alias: string): Promise<AliasRecord> {
    await this.functions.get(name)
    const record = this.book.aliasRecord(name, alias)
    if (record === null || record.deleted) throw RESOURCE_NOT_FOUND(`Alias ${name}:${alias}`)
    return record
  }

  async update(name: string, alias: string, change: AliasChange): Promise<AliasRecord> {
    const held = await this.get(name, alias)
    if (change.revisionId !== undefined && change.revisionId !== held.revisionId) {
      throw PRECONDITION_FAILED('The RevisionId provided does not match the latest RevisionId')
    }
    const functionVersion = change.functionVersion ?? held.functionVersion
    this.checkVersion(name, functionVersion)
    const weights =
      change.weights === undefined
        ? Object.fromEntries(held.weights.map((w) => [w.version, w.weight]))
        : change.weights
    const record: AliasRecord = {
      ...held,
      functionVersion,
      weights: this.weights(name, functionVersion, weights),
      description: change.description ?? held.description,
      revision: held.revision + 1,
      revisionId: randomUUID(),
      modified: Date.now()
    }
    await this.book.putAlias(record)
    return record
  }

  /** Deletes an alias and its function URL configuration. */
  async delete(name: string, alias: string): Promise<void> {
    const held = await this.get(name, alias)
    await this.tombstone(held)
  }

  /** Live aliases, optionally only those naming one version. */
  async list(name: string, functionVersion?: string): Promise<AliasRecord[]> {
    await this.functions.get(name)
    const all = this.book.aliases(name)
    return functionVersion === undefined ? all : all.filter((a) => names(a, functionVersion))
  }

  /** Aliases naming a version (as their version or in their routing), by alias name. */
  naming(name: string, version: string): string[] {
    return this.book
      .aliases(name)
      .filter((a) => names(a, version))
      .map((a) => a.alias)
  }

  /** The version an invocation through an alias runs now (see the class comment). */
  pick(name: string, alias: string): string {
    const record = this.book.aliasRecord(name, alias)
    if (record === null || record.deleted) throw RESOURCE_NOT_FOUND(`Function ${name}:${alias}`)
    if (record.weights.length === 0) return record.functionVersion
    const key = `${name}/${alias}`
    const u = ((this.walk.get(key) ?? Math.random()) + GOLDEN) % 1
    this.walk.set(key, u)
    let below = 0
    for (const { version, weight } of record.weights) {
      below += weight
      if (u < below) return version
    }
    return record.functionVersion
  }

  /** Deletes every alias of a function and every URL configuration (the function is going). */
  async deleteAll(name: string): Promise<void> {
    for (const alias of this.book.aliases(name)) await this.tombstone(alias)
    for (const url of this.book.urls(name)) {
      await this.book.putUrl({ ...url, revision: url.revision + 1, deleted: true })
    }
  }

  private async tombstone(alias: AliasRecord): Promise<void> {
    const now = Date.now()
    await this.book.putAlias({
      ...alias,
      revision: alias.revision + 1,
      modified: now,
      deleted: true
    })
    const url = this.book.urlRecord(alias.name, alias.alias)
    if (url !== null && !url.deleted) {
      await this.book.putUrl({ ...url, revision: url.revision + 1, modified: now, deleted: true })
    }
  }

  private checkVersion(name: string, version: string): void {
    if (version === '$LATEST') return
    if (!isVersionNumber(version) || this.book.version(name, Number(version)) === null) {
      throw RESOURCE_NOT_FOUND(`Function ${name}:${version}`)
    }
  }

  /** RoutingConfig checked as AWS checks it: one other published version, weight 0 to 1. */
  private weights(
    name: string,
    functionVersion: string,
    given: Record<string, number>
  ): VersionWeight[] {
    const entries = Object.entries(given)
    if (entries.length === 0) return []
    if (entries.length > 1) {
      throw INVALID_PARAMETER('AdditionalVersionWeights', 'may name one version at most')
    }
    if (functionVersion === '$LATEST') {
      throw INVALID_PARAMETER(
        'RoutingConfig',
        '$LATEST is not supported for an alias pointing to more than 1 version'
      )
    }
    return entries.map(([version, weight]) => {
      if (version === functionVersion) {
        throw INVALID_PARAMETER('AdditionalVersionWeights', `${version} is the alias's own version`)
      }
      if (typeof weight !== 'number' || !(weight >= 0 && weight <= 1)) {
        throw INVALID_PARAMETER('AdditionalVersionWeights', 'weights must be from 0.0 to 1.0')
      }
      this.checkVersion(name, version)
      return { version, weight }
    })
  }
}

function names(alias: AliasRecord, version: string): boolean {
  return alias.functionVersion === version || alias.weights.some((w) => w.version === version)
}

function checkAlias(alias: string): void {
  if (!ALIAS.test(alias)) {
    throw INVALID_PARAMETER(
      'Name',
      `"${alias.slice(0, 80)}" must be 1-128 letters, digits, - or _, not only digits`
    )
  }
}
