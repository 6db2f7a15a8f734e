import { unzipSync } from 'fflate'
import { INVALID_PARAMETER } from '../errors.js'
import { MAX_MODULE_BYTES } from '../wasm/policy.js'

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]

/**
 * The module in an AWS `Code.ZipFile`: a zip holding exactly one `.wasm` (any folder), or the raw
 * module bytes themselves. Sizes are checked from the zip's directory before anything inflates.
 */
export function wasmFromCode(code: Uint8Array): Uint8Array {
  if (startsWith(code, WASM_MAGIC)) return code
  if (!startsWith(code, ZIP_MAGIC)) {
    throw INVALID_PARAMETER('Code.ZipFile', 'is neither a zip archive nor a WebAssembly module')
  }
  const names: string[] = []
  let files: Record<string, Uint8Array>
  try {
    files = unzipSync(code, {
      filter(file) {
        if (!file.name.toLowerCase().endsWith('.wasm')) return false
        names.push(file.name)
        if (file.originalSize > MAX_MODULE_BYTES) {
          throw INVALID_PARAMETER(
            'Code.ZipFile',
            `${file.name} unzips to over ${MAX_MODULE_BYTES} bytes`
          )
        }
        return names.length === 1
      }
    })
  } catch (err) {
    if ((err as { code?: string }).code === 'INVALID_PARAMETER') throw err
    throw INVALID_PARAMETER(
      'Code.ZipFile',
      `is not a readable zip archive (${(err as Error).message})`
    )
  }
  if (names.length !== 1) {
    throw INVALID_PARAMETER(
      'Code.ZipFile',
      names.length === 0
        ? 'holds no .wasm file'
        : `holds ${names.length} .wasm files (${names.join(', ')}); one is expected`
    )
  }
  return files[names[0] as string] as Uint8Array
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b)
}
