import { FUNCTION_NOT_FOUND, INVALID_PARAMETER } from '../errors.js'
import type { Settings } from '../registry/functions.js'
import { REDUCERS, type FunctionRecord, type Reduce } from '../wire/messages.js'
import type { Fields } from './fields.js'

/** The account id in ARNs: there are no AWS accounts here, and AWS clients only need the shape. */
export const ACCOUNT_ID = '000000000000'
/** The only version there is: functions are not published into numbered versions. */
export const LATEST = '$LATEST'

/** An AWS-style ARN for a function. */
export function functionArn(region: string, name: string): string {
  return `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`
}

/** A FunctionConfiguration as AWS Lambda returns it, with the fields AWS clients read. */
export function configuration(record: FunctionRecord, region: string) {
  return {
    FunctionName: record.name,
    FunctionArn: functionArn(region, record.name),
    Runtime: record.runtime,
    Role: record.role,
    Handler: record.handler,
    CodeSize: record.size,
    Description: record.description,
    Timeout: Math.ceil(record.timeoutMs / 1000),
    MemorySize: record.memoryMb,
    LastModified: new Date(record.modified).toISOString().replace('Z', '+0000'),
    CodeSha256: Buffer.from(record.sha256, 'hex').toString('base64'),
    Version: LATEST,
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

/**
 * The function name in a path: a plain name, `name:qualifier`, or a full or partial ARN
 * (`arn:aws:lambda:region:account:function:name[:qualifier]`, `account:function:name`), with
 * the `?Qualifier=` query parameter the AWS SDK sends. Only `$LATEST` exists as a qualifier; any
 * other names a version that is not there (so a versioned delete never deletes the function).
 */
export function functionName(reference: string, url: URL): string {
  const parts = reference.split(':')
  const at = parts.lastIndexOf('function')
  const [name, inPath] = at >= 0 ? parts.slice(at + 1) : parts
  if (name === undefined || name === '' || parts.length - Math.max(at + 1, 0) > 2) {
    throw FUNCTION_NOT_FOUND(reference)
  }
  const inQuery = url.searchParams.get('Qualifier') ?? undefined
  for (const qualifier of [inPath, inQuery]) {
    if (qualifier !== undefined && qualifier !== LATEST)
      throw FUNCTION_NOT_FOUND(`${name}:${qualifier}`)
  }
  return name
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
