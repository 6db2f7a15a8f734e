#!/usr/bin/env node
/**
 * The `swarm-lambda` command. Each command parses its own flags, and nothing below bin/ reads
 * process.env or argv: values are passed into lib/ as typed options.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { parseDataset } from '../lib/dataset.js'
import { SwarmError } from '../lib/errors.js'
import { validate, type PolicyOptions } from '../lib/wasm/policy.js'
import { WasmPool } from '../lib/wasm/pool.js'
import { HOST_IMPORTS, type HostImportName } from '../lib/wasm/host-imports.js'

const DEFAULT_MEMORY_MB = 128
const DEFAULT_TIMEOUT_MS = 3_000
const PAGES_PER_MB = 16

/** A problem with how the command was called: exit code 2. */
class UsageError extends Error {}

interface Command {
  summary: string
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  run(values: Record<string, unknown>, positionals: string[]): Promise<void>
}

const limitOptions: Command['options'] = {
  'memory-mb': { type: 'string', default: String(DEFAULT_MEMORY_MB) },
  'allow-import': { type: 'string', multiple: true, default: [] }
}

const COMMANDS: Record<string, Command> = {
  validate: {
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
  },
  run: {
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
      dataset: { type: 'string' },
      'dataset-file': { type: 'string' },
      'timeout-ms': { type: 'string', default: String(DEFAULT_TIMEOUT_MS) }
    },
    async run(values, positionals) {
      const fn = await validate(await readWasm(positionals), policyOptions(values))
      const raw = await readInput(values)
      const input =
        fn.abi === 'v1' ? parseDataset(parseJson(raw.toString('utf8'))) : new Uint8Array(raw)
      const pool = new WasmPool()
      try {
        const timeoutMs = positiveInt(values['timeout-ms'], '--timeout-ms')
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
}

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n')
}

async function readFileOrExplain(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`)
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new UsageError(`--dataset is not valid JSON: ${(err as Error).message}`)
  }
}

function positiveInt(value: unknown, flag: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer`)
  return n
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

async function readInput(values: Record<string, unknown>): Promise<Buffer> {
  const inline = values.dataset as string | undefined
  const file = values['dataset-file'] as string | undefined
  if ((inline === undefined) === (file === undefined)) {
    throw new UsageError('give exactly one of --dataset and --dataset-file')
  }
  return inline !== undefined ? Buffer.from(inline, 'utf8') : readFileOrExplain(file as string)
}

function version(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string }
  return pkg.version
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length))
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`)
  return `swarm-lambda ${version()}: Lambda-style WebAssembly functions on a Hyperswarm mesh

Usage: swarm-lambda COMMAND [options]     (swarm-lambda COMMAND --help for its options)

Commands:
${lines.join('\n')}`
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help())
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === '-v') {
    console.log(version())
    return 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    console.error(`unknown command "${name}"\n\n${help()}`)
    return 2
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true
    })
    if (values.help === true) {
      console.log(command.usage)
      return 0
    }
    await command.run(values, positionals)
    return 0
  } catch (err) {
    if (err instanceof SwarmError) {
      console.error(`error ${err.code}: ${err.message}`)
      return 1
    }
    if (
      err instanceof UsageError ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`${(err as Error).message}\n\n${command.usage}`)
      return 2
    }
    throw err
  }
}

process.exitCode = await main(process.argv.slice(2))
