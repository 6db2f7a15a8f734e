// What the example builds check of a binary they produced: whether it has a start section
// (id 8), walking the section headers only. Shared by build.mjs and build-wasi.mjs.

/** True if the binary has a start section. */
export function hasStartSection(bytes) {
  let pos = 8
  const leb = () => {
    let result = 0
    let shift = 0
    let byte
    do {
      byte = bytes[pos++]
      result |= (byte & 0x7f) << shift
      shift += 7
    } while (byte & 0x80)
    return result >>> 0
  }
  while (pos < bytes.length) {
    const id = bytes[pos++]
    const size = leb()
    if (id === 8) return true
    pos += size
  }
  return false
}
