import { parseDataset } from '../../lib/dataset.js'
import { HOST_IMPORTS, type HostImportName } from '../../lib/wasm/host-imports.js'
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS } from '../../lib/registry/settings.js'
import { PAGES_PER_MB, validate, type PolicyOptions } from '../../lib/wasm/policy.js'
import { WasmPool } from '../../lib/executor/pool.js'
import {
  inputOptions,
  positiveInt,
  print,
  readFileOrExplain,
  readInput,
  UsageError,
  type Command
} from '../command.js'

const limitOptions: Command['options'] = {
  'memory-mb': { type: 'string', default: String(DEFAULT_MEMORY_MB) },
  'allow-import': { type: 'string', multiple: true, default: [] }
}

function policyOptions(values: Record<string, unknown>): PolicyOptions {
  const allow = (values['allow-import'] as string[]).map((name) => {
    if (!Object.hasOwn(HOST_IMPORTS, name)) throw new UsageError(`unknown host import "${name}"`)
    return name as HostImportName
  })
  return {
    memoryPages: positiveInt(values['memory-mb'], '--memory-mb') * PAGES_PER_MB,
    allowImports: allow
  }
}

async function readWasm(positionals: string[]): Promise<Uint8Array> {
  const [file, ...extra] = positionals
  if (file === undefined || extra.length > 0) throw new UsageError('expected exactly one FILE.wasm')
  return new Uint8Array(await readFileOrExplain(file))
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new UsageError(`--dataset is not valid JSON: ${(err as Error).message}`)
  }
}

/** `validate`: the deploy-time policy, locally. */
export const validateCommand: Command = {
  summary: 'check a .wasm file against the module policy and print what would run',
  usage: `swarm-lambda validate FILE.wasm [--memory-mb N] [--allow-import env.abort]

Validates FILE.wasm as a deploy would (imports, memory, start section, ABI exports and
signatures), rewrites its memory cap and compiles it. Prints the result as JSON; a refused
module prints its error code and exits 1.

  --memory-mb N         memory limit in MB (default ${DEFAULT_MEMORY_MB})
  --allow-import NAME   allow a host import (${Object.keys(HOST_IMPORTS).join(', ')}); repeatable`,
  options: limitOptions,
  async run(values, positionals) {
    const fn = await validate(await readWasm(positionals), policyOptions(values))
    print({
      abi: fn.abi,
      codeSize: fn.bytes.length,
      sourceSha256: fn.sourceSha256,
      sha256: fn.sha256,
      memoryPages: fn.memory,
      growInstrumented: fn.growTrapFunction !== null,
      allowImports: fn.allowImports
    })
  }
}

/** `run`: one call on a local pool, no edge needed. */
export const runCommand: Command = {
  summary: 'run a .wasm file once on a local executor pool',
  usage: `swarm-lambda run FILE.wasm (--dataset JSON | --dataset-file FILE) [--timeout-ms N] [--memory-mb N]

Validates FILE.wasm, runs one call on a local worker pool and prints the result as JSON.
ABI v1 takes --dataset as a JSON array of 32-bit integers; ABI v2 takes the raw bytes of
--dataset (or of --dataset-file) as its payload.

  --dataset JSON        the input
  --dataset-file FILE   read the input from FILE
  --timeout-ms N        deadline in ms (default ${DEFAULT_TIMEOUT_MS})
  --memory-mb N         memory limit in MB (default ${DEFAULT_MEMORY_MB})
  --allow-import NAME   allow a host import; repeatable`,
  options: {
    ...limitOptions,
    ...inputOptions,
    'timeout-ms': { type: 'string', default: String(DEFAULT_TIMEOUT_MS) }
  },
  async run(values, positionals) {
    const fn = await validate(await readWasm(positionals), policyOptions(values))
    const raw = await readInput(values)
    const input =
      fn.abi === 'v1' ? parseDataset(parseJson(raw.toString('utf8'))) : new Uint8Array(raw)
    const timeoutMs = positiveInt(values['timeout-ms'], '--timeout-ms')
    const pool = new WasmPool()
    try {
      const out = await pool.run(fn, { input, timeoutMs })
      print({
        result: out.result,
        ...(out.output ? { output: Array.from(out.output) } : {}),
        ...(out.payload ? { payload: Buffer.from(out.payload).toString('utf8') } : {}),
        micros: out.micros
      })
    } finally {
      await pool.close()
    }
  }
}
