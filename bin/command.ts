import { readFile } from 'node:fs/promises'
import type { ParseArgsConfig } from 'node:util'

/** A problem with how a command was called: exit code 2. */
export class UsageError extends Error {}

/** One `swarm-lambda` command. */
export interface Command {
  summary: string
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  /** Resolves to the exit code (0 unless said otherwise). */
  run(values: Record<string, unknown>, positionals: string[]): Promise<number | void>
}

/** Prints a value as one line of JSON. */
export function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n')
}

/** Parses a positive integer flag. */
export function positiveInt(value: unknown, flag: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer`)
  return n
}

/** Reads a file, turning a missing or unreadable one into a usage error. */
export async function readFileOrExplain(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`)
  }
}

/** The input given by exactly one of --dataset and --dataset-file. */
export async function readInput(values: Record<string, unknown>): Promise<Buffer> {
  const inline = values.dataset as string | undefined
  const file = values['dataset-file'] as string | undefined
  if ((inline === undefined) === (file === undefined)) {
    throw new UsageError('give exactly one of --dataset and --dataset-file')
  }
  return inline !== undefined ? Buffer.from(inline, 'utf8') : readFileOrExplain(file as string)
}

/** Options shared by commands that take an input. */
export const inputOptions = {
  dataset: { type: 'string' },
  'dataset-file': { type: 'string' }
} as const satisfies Command['options']
