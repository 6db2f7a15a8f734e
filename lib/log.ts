import { pino, type Logger } from 'pino'
import type { Config } from './config.js'

/** The root logger of one edge (components take children of it); JSON lines to stdout. */
export function createLogger(config: Pick<Config, 'logLevel' | 'nodeName'>): Logger {
  return pino({ level: config.logLevel, base: { node: config.nodeName } })
}
