import { pino, type Logger } from 'pino'
import pretty from 'pino-pretty'
import type { Config } from './config.js'
import { LOG_LEVELS } from './flags.js'

/**
 * The root logger of one process (an edge, the proxy, the DNS server; components take children
 * of it); JSON lines to stdout.
 */
export function createLogger(
  config: Pick<Config, 'logLevel' | 'nodeName'> & { logPretty?: boolean }
): Logger {
  const options = { level: config.logLevel, base: { node: config.nodeName } }
  if (config.logPretty !== true) return pino(options)
  // One line per entry: the node, the component, the message, and for a request what it was.
  return pino(
    options,
    pretty({
      colorize: process.stdout.isTTY,
      singleLine: true,
      translateTime: 'HH:MM:ss.l',
      messageFormat:
        '{node} {if component}{component}: {end}{msg}{if method} {method} {path} → {status}{end}',
      ignore: 'pid,hostname,node,component,method,path,status'
    })
  )
}

/** A log level from SWARMLAMBDA_LOG_LEVEL (or the default), for processes that are not edges. */
export function logLevel(text: string | undefined): Config['logLevel'] {
  const level = (text ?? 'info') as Config['logLevel']
  return LOG_LEVELS.includes(level) ? level : 'info'
}
