#!/usr/bin/env node
/**
 * The `swarm-lambda` command. bin/ is the only code that reads argv and the environment: each
 * command parses its own flags and passes typed options into lib/.
 */
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { SwarmError } from '../lib/errors.js'
import { UsageError, type Command } from './command.js'
import { deployCommand, invokeCommand, lsCommand, rmCommand } from './commands/client.js'
import { dhtCommand, keygenCommand } from './commands/cluster.js'
import { devCommand } from './commands/dev.js'
import { dnsCommand } from './commands/dns.js'
import { edgeCommand } from './commands/edge.js'
import { proxyCommand } from './commands/proxy.js'
import { runCommand, validateCommand } from './commands/local.js'

const COMMANDS: Record<string, Command> = {
  dev: devCommand,
  edge: edgeCommand,
  dht: dhtCommand,
  dns: dnsCommand,
  keygen: keygenCommand,
  proxy: proxyCommand,
  deploy: deployCommand,
  invoke: invokeCommand,
  ls: lsCommand,
  rm: rmCommand,
  validate: validateCommand,
  run: runCommand
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
    return (await command.run(values, positionals)) ?? 0
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
