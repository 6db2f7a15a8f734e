import { INVALID_PARAMETER } from '../errors.js'

/**
 * Typed reads of a JSON object's fields, each refusal an INVALID_PARAMETER naming the field.
 * Handlers use these once, at the edge of the route, and pass typed values on.
 */
export class Fields {
  constructor(private readonly object: Record<string, unknown>) {}

  /** A required string. */
  string(name: string): string {
    const value = this.optionalString(name)
    if (value === undefined) throw INVALID_PARAMETER(name, 'is required')
    return value
  }

  /** An optional string. */
  optionalString(name: string): string | undefined {
    const value = this.object[name]
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'string') throw INVALID_PARAMETER(name, 'must be a string')
    return value
  }

  /** An optional integer. */
  optionalInteger(name: string): number | undefined {
    const value = this.object[name]
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw INVALID_PARAMETER(name, 'must be an integer')
    }
    return value
  }

  /** An optional boolean. */
  optionalBoolean(name: string): boolean | undefined {
    const value = this.object[name]
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'boolean') throw INVALID_PARAMETER(name, 'must be true or false')
    return value
  }

  /** An optional nested object. */
  optionalObject(name: string): Fields | undefined {
    const value = this.object[name]
    if (value === undefined || value === null) return undefined
    // A number array of a large body is a typed array (lib/gateway/json.ts): not an object either.
    if (typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
      throw INVALID_PARAMETER(name, 'must be an object')
    }
    return new Fields(value as Record<string, unknown>)
  }

  /** An optional object whose values are all strings (AWS Environment.Variables). */
  optionalStringMap(name: string): Record<string, string> | undefined {
    const map = this.optionalObject(name)
    if (map === undefined) return undefined
    const out: Record<string, string> = {}
    for (const [key, value] of Object.entries(map.object)) {
      if (typeof value !== 'string') throw INVALID_PARAMETER(`${name}.${key}`, 'must be a string')
      out[key] = value
    }
    return out
  }

  /** An optional object whose values are all numbers (AWS AdditionalVersionWeights). */
  optionalNumberMap(name: string): Record<string, number> | undefined {
    const map = this.optionalObject(name)
    if (map === undefined) return undefined
    const out: Record<string, number> = {}
    for (const [key, value] of Object.entries(map.object)) {
      if (typeof value !== 'number') throw INVALID_PARAMETER(`${name}.${key}`, 'must be a number')
      out[key] = value
    }
    return out
  }

  /** A required base64 string, decoded strictly (no silently dropped characters). */
  base64(name: string): Buffer {
    const text = this.string(name).replace(/\s+/g, '')
    if (text.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
      throw INVALID_PARAMETER(name, 'is not valid base64')
    }
    return Buffer.from(text, 'base64')
  }

  /** The raw value, for fields a handler narrows itself. */
  raw(name: string): unknown {
    return this.object[name]
  }
}
