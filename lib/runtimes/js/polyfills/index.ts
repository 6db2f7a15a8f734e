import { installClone } from './clone.js'
import { installEncoding } from './encoding.js'
import { installUrl } from './url.js'

/** The web globals the polyfills define, in the order they are defined. */
export const POLYFILLED = [
  'DOMException',
  'TextEncoder',
  'TextDecoder',
  'atob',
  'btoa',
  'URL',
  'URLSearchParams',
  'crypto',
  'structuredClone'
]

/**
 * The web globals QuickJS lacks, as source text: an expression `(host: HostBridge) => void` that
 * installs them all on globalThis, built from each installer's toString(). Encoding goes first:
 * it defines DOMException, which the clone installer takes from globalThis. The installers go in
 * as function declarations, not as `(<function>)(host)`: QuickJS scans a parenthesized
 * expression to its end to see whether an arrow follows, a tokenizing pass over its source.
 */
export const POLYFILLS_SOURCE = `(host) => {
  ${installEncoding}
  ${installUrl}
  ${installClone}
  installEncoding(host);
  installUrl(host);
  installClone(host);
}`
