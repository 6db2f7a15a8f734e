import { INVALID_PARAMETER, RESOURCE_NOT_FOUND } from '../errors.js'
import type { EventInvokeRecord } from '../wire/jobs.js'
import type { AddressBook } from './addressing.js'
import type { FunctionService } from './functions.js'
import { LATEST } from './versions.js'

/** AWS's defaults: two retries, six hours. */
export const DEFAULT_RETRY_ATTEMPTS = 2
export const DEFAULT_EVENT_AGE_SECONDS = 21_600
const FUNCTION_ARN =
  /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,64}(:[a-zA-Z0-9$_-]+)?$/

/** What Put/UpdateFunctionEventInvokeConfig say (absent members of an update keep their value). */
export interface EventInvokeChange {
  maxRetryAttempts?: number | undefined
  maxEventAgeSeconds?: number | undefined
  onSuccess?: string | undefined
  onFailure?: string | undefined
}

/** The settings an async invocation runs with, defaults filled in. */
export interface AsyncSettings {
  maxRetryAttempts: number
  maxEventAgeSeconds: number
  /** Destination function ARNs ('' for none). */
  onSuccess: string
  onFailure: string
}

/**
 * AWS's FunctionEventInvokeConfig: per function and qualifier, how many times a failed async
 * invocation is retried, how old an event may get, and where its outcome is sent (a function,
 * invoked asynchronously with the invocation record). Stored in the registry like aliases.
 */
export class EventInvokeService {
  constructor(
    private readonly functions: FunctionService,
    private readonly book: AddressBook
  ) {}

  /** PutFunctionEventInvokeConfig: the settings replaced as a whole. */
  async put(name: string, qualifier: string | undefined, change: EventInvokeChange) {
    return this.store(name, await this.qualifier(name, qualifier), change, null)
  }

  /** UpdateFunctionEventInvokeConfig: the settings given change, the others stay. */
  async update(name: string, qualifier: string | undefined, change: EventInvokeChange) {
    const at = await this.qualifier(name, qualifier)
    const held = this.book.eventInvokeRecord(name, at)
    return this.store(name, at, change, held === null || held.deleted ? null : held)
  }

  async get(name: string, qualifier: string | undefined): Promise<EventInvokeRecord> {
    const at = await this.qualifier(name, qualifier)
    const held = this.book.eventInvokeRecord(name, at)
    if (held === null || held.deleted) {
      throw RESOURCE_NOT_FOUND(
        `The function ${name}${at === '' ? '' : `:${at}`} doesn't have an EventInvokeConfig`
      )
    }
    return held
  }

  async delete(name: string, qualifier: string | undefined): Promise<void> {
    const held = await this.get(name, qualifier)
    await this.book.putEventInvoke({
      ...held,
      revision: held.revision + 1,
      modified: Date.now(),
      deleted: true
    })
  }

  async list(name: string): Promise<EventInvokeRecord[]> {
    await this.functions.get(name)
    return this.book.eventInvokes(name)
  }

  /** What an async invocation of `name` at `qualifier` runs with (defaults where none is set). */
  settings(name: string, qualifier: string): AsyncSettings {
    const at = qualifier === LATEST ? '' : qualifier
    const held = this.book.eventInvokeRecord(name, at)
    const config = held === null || held.deleted ? null : held
    return {
      maxRetryAttempts: config?.maxRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
      maxEventAgeSeconds: config?.maxEventAgeSeconds ?? DEFAULT_EVENT_AGE_SECONDS,
      onSuccess: config?.onSuccess ?? '',
      onFailure: config?.onFailure ?? ''
    }
  }

  private async store(
    name: string,
    qualifier: string,
    change: EventInvokeChange,
    held: EventInvokeRecord | null
  ): Promise<EventInvokeRecord> {
    const retries = change.maxRetryAttempts ?? held?.maxRetryAttempts ?? null
    if (retries !== null && (!Number.isInteger(retries) || retries < 0 || retries > 2)) {
      throw INVALID_PARAMETER('MaximumRetryAttempts', 'must be an integer from 0 to 2')
    }
    const age = change.maxEventAgeSeconds ?? held?.maxEventAgeSeconds ?? null
    if (age !== null && (!Number.isInteger(age) || age < 60 || age > 21_600)) {
      throw INVALID_PARAMETER('MaximumEventAgeInSeconds', 'must be an integer from 60 to 21600')
    }
    const onSuccess = destination('OnSuccess', change.onSuccess ?? held?.onSuccess ?? '')
    const onFailure = destination('OnFailure', change.onFailure ?? held?.onFailure ?? '')
    const previous = this.book.eventInvokeRecord(name, qualifier)
    const record: EventInvokeRecord = {
      name,
      qualifier,
      maxRetryAttempts: retries,
      maxEventAgeSeconds: age,
      onSuccess,
      onFailure,
      revision: (previous?.revision ?? 0) + 1,
      modified: Date.now(),
      deleted: false
    }
    await this.book.putEventInvoke(record)
    return record
  }

  /** A qualifier async settings may have: none ($LATEST), a published version or an alias. */
  private async qualifier(name: string, qualifier: string | undefined): Promise<string> {
    await this.functions.get(name)
    if (qualifier === undefined || qualifier === LATEST) return ''
    const known =
      this.book.version(name, Number(qualifier)) !== null ||
      this.book.aliases(name).some((a) => a.alias === qualifier)
    if (!known) throw RESOURCE_NOT_FOUND(`Function ${name}:${qualifier}`)
    return qualifier
  }
}

/** A destination: a Lambda function's ARN (other AWS services do not exist here). */
function destination(which: string, arn: string): string {
  if (arn === '' || FUNCTION_ARN.test(arn)) return arn
  throw INVALID_PARAMETER(
    `DestinationConfig.${which}.Destination`,
    `${arn.slice(0, 120)} is not a function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME): only functions can be destinations here`
  )
}
