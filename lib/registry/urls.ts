import { INVALID_PARAMETER, RESOURCE_CONFLICT, RESOURCE_NOT_FOUND } from '../errors.js'
import type { AuthType, CorsConfig, InvokeMode, UrlRecord } from '../wire/addressing.js'
import type { FunctionRecord } from '../wire/function-record.js'
import type { AddressBook } from './addressing.js'
import type { FunctionService } from './functions.js'
import { LATEST, isVersionNumber } from './versions.js'

/** What Create/UpdateFunctionUrlConfig say (absent members of an update keep their value). */
export interface UrlChange {
  authType?: AuthType | undefined
  /** null removes the CORS settings. */
  cors?: CorsConfig | null | undefined
  invokeMode?: InvokeMode | undefined
}

/**
 * Function URL configurations (Create, Get, Update, Delete, ListFunctionUrlConfigs): whether a
 * function, or one alias of it, answers plain HTTP at `NAME[--ALIAS].<zone>` and
 * `/lambda-url/NAME[--ALIAS]/`, with which auth and CORS. Stored in the registry like aliases.
 */
export class UrlService {
  constructor(
    private readonly functions: FunctionService,
    private readonly book: AddressBook
  ) {}

  async create(name: string, qualifier: string | undefined, change: UrlChange): Promise<UrlRecord> {
    const at = await this.qualifier(name, qualifier)
    const held = this.book.urlRecord(name, at)
    if (held !== null && !held.deleted) {
      throw RESOURCE_CONFLICT(
        `Failed to create function url config for [functionArn = ${name}${at === '' ? '' : `:${at}`}]. Error message:  FunctionUrlConfig exists for this Lambda function`
      )
    }
    if (change.authType === undefined) throw INVALID_PARAMETER('AuthType', 'is required')
    const now = Date.now()
    const record: UrlRecord = {
      name,
      qualifier: at,
      authType: change.authType,
      cors: change.cors ?? null,
      invokeMode: change.invokeMode ?? 'BUFFERED',
      revision: (held?.revision ?? 0) + 1,
      created: now,
      modified: now,
      deleted: false
    }
    await this.book.putUrl(record)
    return record
  }

  async get(name: string, qualifier: string | undefined): Promise<UrlRecord> {
    await this.functions.get(name)
    const at = qualifier === undefined || qualifier === LATEST ? '' : qualifier
    const record = this.book.urlRecord(name, at)
    if (record === null || record.deleted) {
      throw RESOURCE_NOT_FOUND(
        `The resource you requested does not exist. Function URL config for ${name}${at === '' ? '' : `:${at}`}`
      )
    }
    return record
  }

  async update(name: string, qualifier: string | undefined, change: UrlChange): Promise<UrlRecord> {
    const held = await this.get(name, qualifier)
    const record: UrlRecord = {
      ...held,
      authType: change.authType ?? held.authType,
      cors: change.cors === undefined ? held.cors : change.cors,
      invokeMode: change.invokeMode ?? held.invokeMode,
      revision: held.revision + 1,
      modified: Date.now()
    }
    await this.book.putUrl(record)
    return record
  }

  async delete(name: string, qualifier: string | undefined): Promise<void> {
    const held = await this.get(name, qualifier)
    await this.book.putUrl({
      ...held,
      revision: held.revision + 1,
      modified: Date.now(),
      deleted: true
    })
  }

  async list(name: string): Promise<UrlRecord[]> {
    await this.functions.get(name)
    return this.book.urls(name)
  }

  /** The qualifiers ('' and aliases) the function has live URLs at. */
  qualifiers(name: string): string[] {
    return this.book.urls(name).map((u) => u.qualifier)
  }

  /** The live URL configuration a request names, or null (serving: no function, no URL, 404). */
  lookup(name: string, qualifier: string): UrlRecord | null {
    const record = this.book.urlRecord(name, qualifier)
    return record === null || record.deleted ? null : record
  }

  /**
   * The qualifier a URL may have: none, or an alias; never a version number. Every version the
   * function (or the alias) can run must answer HTTP: a v1 dataset module cannot.
   */
  private async qualifier(name: string, qualifier: string | undefined): Promise<string> {
    const latest = await this.functions.get(name)
    if (qualifier === undefined || qualifier === LATEST) {
      refuseDataset(latest)
      return ''
    }
    if (isVersionNumber(qualifier)) {
      throw INVALID_PARAMETER(
        'Qualifier',
        'a function URL names the function or an alias, not a version'
      )
    }
    const alias = this.book.aliasRecord(name, qualifier)
    if (alias === null || alias.deleted) throw RESOURCE_NOT_FOUND(`Alias ${name}:${qualifier}`)
    for (const version of [alias.functionVersion, ...alias.weights.map((w) => w.version)]) {
      const record =
        version === LATEST ? latest : this.book.version(name, Number(version))?.function
      if (record !== undefined) refuseDataset(record)
    }
    return qualifier
  }
}

function refuseDataset(record: FunctionRecord): void {
  if (record.abi === 'v1') {
    throw INVALID_PARAMETER(
      'FunctionName',
      `${record.name} is a dataset function (ABI v1: integers in, one integer out), which cannot ` +
        'answer HTTP requests; a function URL needs a JavaScript, WASI or ABI v2 function'
    )
  }
}
