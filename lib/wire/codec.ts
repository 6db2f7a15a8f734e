import c from 'compact-encoding'
import { WIRE_INVALID } from '../errors.js'

/**
 * The codec helpers everything stored or sent is written with: each record starts with its own
 * version number, so a newer edge can read what an older one wrote and an older one refuses, by
 * name, what it can't.
 */

/** Encodes a value with a codec. */
export function encode<T>(codec: c.Encoder<T>, value: T): Buffer {
  return Buffer.from(c.encode(codec, value))
}

/** Decodes a value, turning any malformed input into a WIRE_INVALID error. */
export function decode<T>(codec: c.Encoder<T>, bytes: Uint8Array): T {
  try {
    return c.decode(codec, bytes)
  } catch (err) {
    if ((err as { code?: string }).code === 'WIRE_INVALID') throw err
    throw WIRE_INVALID((err as Error).message)
  }
}

export function enumIndex<T extends string>(values: readonly T[], value: T): number {
  return values.indexOf(value)
}

export function enumValue<T extends string>(values: readonly T[], index: number, what: string): T {
  const value = values[index]
  if (value === undefined) throw WIRE_INVALID(`unknown ${what} ${index}`)
  return value
}

/** Bytes a value takes on the wire (without encoding it). */
export function encodedLength<T>(codec: c.Encoder<T>, value: T): number {
  const state = c.state()
  codec.preencode(state, value)
  return state.end
}

/** Prefixes a codec with a version number; a decoder refuses other versions by name. */
export function versioned<T>(version: number, what: string, codec: c.Encoder<T>): c.Encoder<T> {
  return {
    preencode(state, value) {
      c.uint.preencode(state, version)
      codec.preencode(state, value)
    },
    encode(state, value) {
      c.uint.encode(state, version)
      codec.encode(state, value)
    },
    decode(state) {
      const got = c.uint.decode(state)
      if (got !== version) throw WIRE_INVALID(`${what} version ${got}`)
      return codec.decode(state)
    }
  }
}
