/** What the runtime tells a function about itself through its environment. */
export interface LambdaIdentity {
  functionName: string
  memoryMb: number
  region: string
  /** The AWS runtime name (nodejs20.x, provided.al2023). */
  runtime: string
  /** `$LATEST` or a published version's number. */
  version: string
}

/**
 * A function's environment as AWS's runtimes give it: its own variables, then the reserved ones
 * (AWS_LAMBDA_*, AWS_REGION, ...), which a deploy refuses to set (lib/registry/environment.ts).
 */
export function lambdaEnvironment(
  variables: Record<string, string>,
  identity: LambdaIdentity
): Record<string, string> {
  const { functionName, memoryMb, region, runtime, version } = identity
  return {
    ...variables,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: version,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    LAMBDA_TASK_ROOT: '/var/task',
    TZ: ':UTC'
  }
}
