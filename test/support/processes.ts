import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { access, constants } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The compiled CLI (tests run from dist/test/...). */
export const CLI = fileURLToPath(new URL('../../bin/swarm-lambda.js', import.meta.url))

/** What tests need of tap to clean up after themselves. */
interface Teardown {
  teardown(fn: () => unknown): void
}

/** A started child process and what it said when ready. */
export interface Started {
  child: ChildProcess
  ready: Record<string, unknown>
  /** Its JSON log lines after the ready line (the last 10,000). */
  logs: () => Record<string, unknown>[]
}

/** Where and how a test process runs. */
export interface SpawnOptions {
  /**
   * A command to run node under, e.g. `['ip', 'netns', 'exec', 'NS']` to start it in a network
   * namespace (`ip netns exec` execs node: the child's pid is node's, so signals reach it).
   */
  prefix?: string[]
  /** A script to run instead of the CLI. */
  script?: string
}

/**
 * Starts `swarm-lambda ARGS` and resolves with the first JSON line on stdout whose `msg` is
 * `readyMsg`; the process is SIGKILLed at teardown if it is still running.
 */
export async function startCli(
  t: Teardown,
  args: string[],
  readyMsg: string,
  env: Record<string, string> = {},
  options: SpawnOptions = {}
): Promise<Started> {
  const [command, ...prefix] = [...(options.prefix ?? []), process.execPath]
  const child = spawn(command!, [...prefix, options.script ?? CLI, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env }
  })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const lines = createInterface({ input: child.stdout! })
  const logs: Record<string, unknown>[] = []
  return new Promise<Started>((resolve, reject) => {
    let ready: Record<string, unknown> | null = null
    lines.on('line', (line) => {
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(line) as Record<string, unknown>
      } catch {
        return // not a JSON line
      }
      if (ready !== null) {
        logs.push(entry)
        if (logs.length > 10_000) logs.shift()
      } else if (entry.msg === readyMsg) {
        ready = entry
        resolve({ child, ready, logs: () => logs })
      }
    })
    child.once('exit', (code) => {
      if (ready === null) {
        reject(
          new Error(`swarm-lambda ${args.join(' ')} exited before "${readyMsg}" (code ${code})`)
        )
      }
    })
  })
}

/** Starts an edge on a free port; resolves with its URL once it is ready. */
export async function startEdge(
  t: Teardown,
  stateDir: string,
  env: Record<string, string> = {},
  options: SpawnOptions = {}
): Promise<{ child: ChildProcess; url: string; logs: Started['logs'] }> {
  const { child, ready, logs } = await startCli(
    t,
    ['edge', '--port', '0', '--state-dir', stateDir],
    'edge ready',
    { SWARMLAMBDA_LOG_LEVEL: 'info', ...env },
    options
  )
  return { child, url: ready.url as string, logs }
}

/**
 * Starts a DHT bootstrap node on a port of its own (on 127.0.0.1 unless given a host, e.g. its
 * address in a network namespace); resolves with "host:port".
 */
export async function startDht(
  t: Teardown,
  options: SpawnOptions & { host?: string } = {}
): Promise<{ child: ChildProcess; bootstrap: string }> {
  const port = 49_800 + Math.floor(Math.random() * 150)
  const host = options.host === undefined ? [] : ['--host', options.host]
  const { child, ready } = await startCli(
    t,
    ['dht', '--port', String(port), ...host],
    'dht ready',
    {},
    options
  )
  return { child, bootstrap: ready.bootstrap as string }
}

/** Sends a signal and resolves with the exit code and signal. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') {
  child.kill(signal)
  return (await once(child, 'exit')) as [number | null, NodeJS.Signals | null]
}

/** How a CLI run ended: its exit code (or signal) and everything it printed. */
export interface Ran {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs `swarm-lambda ARGS` to its end and resolves with what it printed. It is SIGKILLed when
 * its stdout matches `killOn` (say, an edge that starts where it should refuse: no need to wait
 * for the deadline), after `deadlineMs`, and at teardown.
 */
export async function runCli(
  t: Teardown,
  args: string[],
  env: Record<string, string> = {},
  options: { killOn?: RegExp; deadlineMs?: number } = {}
): Promise<Ran> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env }
  })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    if (options.killOn?.test(stdout) === true) child.kill('SIGKILL')
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.deadlineMs ?? 60_000)
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null]
  clearTimeout(timer)
  return { code, signal, stdout, stderr }
}

/** The path of a command on PATH, or null when it is not installed. */
export async function which(command: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = join(dir, command)
    try {
      await access(path, constants.X_OK)
      return path
    } catch {
      // not here
    }
  }
  return null
}
