import { createHash } from 'node:crypto'
import type { ValidatedFunction } from '../../wasm/policy.js'
import { lambdaEnvironment } from '../environment.js'

/** What AWS reports for a WASI command: a custom runtime whose entry point is `_start`. */
export const WASI_RUNTIME = 'provided.al2023'
export const WASI_HANDLER = '_start'

/** What a worker needs to run a WASI command (posted once per worker, then named by key). */
export interface WasiSpec {
  runtime: 'wasi'
  key: string
  functionName: string
  /** The compiled module (memory rewritten to the function's cap), and its memory's pages. */
  module: WebAssembly.Module
  memory: { min: number; max: number }
  memoryPages: number
  growTrapFunction: number | null
  /** environ: the function's variables, then AWS_LAMBDA_* and friends. */
  environment: Record<string, string>
}

/** A WASI function ready to run: bytes (a JSON event, when sharded) in, stdout out. */
export interface WasiFunction {
  runtime: 'wasi'
  abi: 'json'
  key: string
  /** sha256 (hex) of the module as uploaded. */
  sha256: string
  memoryMb: number
  spec: WasiSpec
}

/** A WASI function from its validated module and the function's configuration. */
export function wasiFunction(
  fn: ValidatedFunction,
  config: {
    functionName: string
    environment: Record<string, string>
    memoryMb: number
    region: string
    version?: string
  }
): WasiFunction {
  const environment = lambdaEnvironment(config.environment, {
    ...config,
    runtime: WASI_RUNTIME,
    version: config.version ?? '$LATEST'
  })
  const key = createHash('sha256')
    .update(JSON.stringify([fn.sha256, config.functionName, environment]))
    .digest('hex')
  const { module, memory, memoryPages, growTrapFunction } = fn
  return {
    runtime: 'wasi',
    abi: 'json',
    key,
    sha256: fn.sourceSha256,
    memoryMb: config.memoryMb,
    spec: {
      runtime: 'wasi',
      key,
      functionName: config.functionName,
      module,
      memory,
      memoryPages,
      growTrapFunction,
      environment
    }
  }
}
