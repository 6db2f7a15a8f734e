import { FUNCTION_NOT_FOUND, INVALID_PARAMETER } from '../errors.js'
import type { Settings } from '../registry/settings.js'
import { REDUCERS, type FunctionRecord, type Reduce } from '../wire/function-record.js'
import type { Fields } from './fields.js'
import { LATEST } from '../registry/versions.js'

/** The account id in ARNs: there are no AWS accounts here, and AWS clients only need the shape. */
export const ACCOUNT_ID = '000000000000'
export { LATEST }

/** An AWS-style ARN for a function, or for one of its versions or aliases. */
export function functionArn(region: string, name: string, qualifier?: string): string {
  const arn = `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`
  return qualifier === undefined ? arn : `${arn}:${qualifier}`
}

/** A published version as FunctionConfiguration shows it: its number and its description. */
export interface Published {
  number: number
  description: string
}

/**
 * A FunctionConfiguration as AWS Lambda returns it, with the fields AWS clients read: $LATEST's,
 * or a published version's (its qualified ARN, number and description).
 */
export function configuration(record: FunctionRecord, region: string, published?: Published) {
  const version = published === undefined ? LATEST : String(published.number)
  return {
    FunctionName: record.name,
    FunctionArn: functionArn(region, record.name, published && version),
    Runtime: record.runtime,
    Role: record.role,
    Handler: record.handler,
    CodeSize: record.size,
    Description: published?.description ?? record.description,
    Timeout: Math.ceil(record.timeoutMs / 1000),
    MemorySize: record.memoryMb,
    LastModified: new Date(record.modified).toISOString().replace('Z', '+0000'),
    CodeSha256: Buffer.from(record.sha256, 'hex').toString('base64'),
    Version: version,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['wasm32'],
    RevisionId: `${record.sha256.slice(0, 8)}-${record.version}`,
    Environment: {
      Variables: {
        ...record.environment,
        SWARMLAMBDA_REDUCE: record.reduce,
        SWARMLAMBDA_HEADER_ITEMS: String(record.headerItems),
        SWARMLAMBDA_MAX_DATASET_ITEMS: String(record.maxDatasetItems)
      }
    },
    // Ours, beyond AWS's shape: what the platform needs to know about the module.
    SwarmLambda: {
      runtime: record.kind,
      abi: record.abi,
      reduce: record.reduce,
      headerItems: record.headerItems,
      timeoutMs: record.timeoutMs,
      concurrency: record.concurrency,
      maxDatasetItems: record.maxDatasetItems,
      version: record.version,
      sha256: record.sha256
    }
  }
}

/** A function reference: its name, and the qualifier ($LATEST, a version, an alias) if given. */
export interface FunctionRef {
  name: string
  qualifier: string | undefined
}

/**
 * The function in a path: a plain name, `name:qualifier`, or a full or partial ARN
 * (`arn:aws:lambda:region:account:function:name[:qualifier]`, `account:function:name`), with
 * the `?Qualifier=` query parameter the AWS SDK sends (both given must agree, as AWS requires).
 * `url` is null for a request with no query (its URL need not be parsed).
 */
export function functionRef(reference: string, url: URL | null): FunctionRef {
  const parts = reference.split(':')
  const at = parts.lastIndexOf('function')
  const [name, inPath] = at >= 0 ? parts.slice(at + 1) : parts
  if (name === undefined || name === '' || parts.length - Math.max(at + 1, 0) > 2) {
    throw FUNCTION_NOT_FOUND(reference)
  }
  // No query, no URLSearchParams to build (the usual Invoke).
  const inQuery =
    url === null || url.search === '' ? undefined : (url.searchParams.get('Qualifier') ?? undefined)
  if (inPath !== undefined && inQuery !== undefined && inPath !== inQuery) {
    throw INVALID_PARAMETER(
      'Qualifier',
      'The derived qualifier from the function name does not match the specified qualifier.'
    )
  }
  const qualifier = inPath ?? inQuery
  if (qualifier === '') throw FUNCTION_NOT_FOUND(reference)
  return { name, qualifier }
}

/**
 * The function in a path where only $LATEST can be meant (updates, concurrency): any other
 * qualifier names something these operations do not take.
 */
export function functionName(reference: string, url: URL): string {
  const { name, qualifier } = functionRef(reference, url)
  if (qualifier !== undefined && qualifier !== LATEST) {
    throw INVALID_PARAMETER('Qualifier', `${qualifier}: this operation acts on $LATEST only`)
  }
  return name
}

/**
 * One page of a list, AWS style: `Marker` (the last key of the previous page) and `MaxItems`
 * (1 to 10,000, 50 by default) from the query; `next` is the marker of the next page, or null.
 */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  url: URL,
  markerParam = 'Marker',
  maxParam = 'MaxItems'
): { page: T[]; next: string | null } {
  const marker = url.searchParams.get(markerParam)
  const maxItems = Math.min(Math.max(Number(url.searchParams.get(maxParam) ?? 50) || 50, 1), 10_000)
  const from = marker === null ? 0 : items.findIndex((item) => keyOf(item) === marker) + 1
  const page = from === 0 && marker !== null ? [] : items.slice(from, from + maxItems)
  const more = page.length > 0 && from + maxItems < items.length
  return { page, next: more ? keyOf(page[page.length - 1] as T) : null }
}

/** A reducer by name (the seed's `reduce`, AWS's SWARMLAMBDA_REDUCE variable). */
export function reduceOf(value: string | undefined): Reduce | undefined {
  if (value === undefined) return undefined
  if (!(REDUCERS as readonly string[]).includes(value)) {
    throw INVALID_PARAMETER('reduce', `must be one of ${REDUCERS.join(', ')}`)
  }
  return value as Reduce
}

/** An integer passed as a string (AWS environment variables are strings). */
function integerOf(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,9}$/.test(value)) throw INVALID_PARAMETER(name, 'must be a non-negative integer')
  return Number(value)
}

/** The platform's settings an AWS client sets as SWARMLAMBDA_* environment variables. */
export function platformSettings(
  variables: Fields | undefined
): Pick<Settings, 'reduce' | 'headerItems' | 'maxDatasetItems'> {
  const read = (name: string) => variables?.optionalString(name)
  return {
    reduce: reduceOf(read('SWARMLAMBDA_REDUCE')),
    headerItems: integerOf('SWARMLAMBDA_HEADER_ITEMS', read('SWARMLAMBDA_HEADER_ITEMS')),
    maxDatasetItems: integerOf(
      'SWARMLAMBDA_MAX_DATASET_ITEMS',
      read('SWARMLAMBDA_MAX_DATASET_ITEMS')
    )
  }
}
