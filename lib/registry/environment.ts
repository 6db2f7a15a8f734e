import { INVALID_PARAMETER } from '../errors.js'

/** AWS's limit on a function's environment: names and values together, in bytes. */
export const MAX_ENVIRONMENT_BYTES = 4 * 1024
/** Variable names AWS accepts. */
const NAME = /^[a-zA-Z]\w+$/
/** Names the runtime sets itself (AWS refuses them too). */
const RESERVED = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR'
])
/** Variables that configure the platform rather than the function (see README, CreateFunction). */
export const PLATFORM_PREFIX = 'SWARMLAMBDA_'

/**
 * A function's environment, checked as AWS checks Environment.Variables: names of letters,
 * digits and _, none reserved by the runtime, 4 KB in all. The SWARMLAMBDA_* settings are not
 * part of it (the platform reads them at deploy).
 */
export function checkEnvironment(variables: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  let bytes = 0
  for (const [name, value] of Object.entries(variables)) {
    if (name.startsWith(PLATFORM_PREFIX)) continue
    if (!NAME.test(name) || RESERVED.has(name) || name.startsWith('AWS_LAMBDA_')) {
      throw INVALID_PARAMETER(
        'Environment.Variables',
        `"${name.slice(0, 64)}" is not a name a function may set (letters, digits and _, not reserved by the runtime)`
      )
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value)
    env[name] = value
  }
  if (bytes > MAX_ENVIRONMENT_BYTES) {
    throw INVALID_PARAMETER(
      'Environment.Variables',
      `take ${bytes} bytes, over the ${MAX_ENVIRONMENT_BYTES}-byte limit`
    )
  }
  return env
}
