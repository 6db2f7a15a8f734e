// Compiles every functions/src/*.ts (AssemblyScript) to functions/build/<name>.wasm.
// The host instantiates with an empty import object and wants no start section,
// so each output is checked for both after compiling.
import asc from 'assemblyscript/asc'
import { mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hasStartSection } from './sections.mjs'

const root = dirname(fileURLToPath(import.meta.url))
const srcDir = join(root, 'src')
const outDir = join(root, 'build')

await mkdir(outDir, { recursive: true })
const sources = (await readdir(srcDir))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .sort()
let failed = false

for (const file of sources) {
  const name = file.slice(0, -3)
  const outFile = join(outDir, `${name}.wasm`)
  // Diagnostics go straight to our stderr; `error` only summarises them.
  const { error } = await asc.main(
    [
      join(srcDir, file),
      '--outFile',
      outFile,
      '-O3',
      '--runtime',
      'stub',
      '--noAssert',
      // No `env.abort` import: an abort becomes a plain trap.
      '--use',
      'abort=',
      // The stub runtime initialises its heap pointer from __heap_base at start-up;
      // exported as `_initialize` (the host calls it once) instead of a start section.
      '--exportStart',
      '_initialize'
    ],
    { stdout: process.stdout, stderr: process.stderr }
  )
  if (error) {
    console.error(`${file}: ${error.message}`)
    failed = true
    continue
  }
  const bytes = await readFile(outFile)
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes))
  if (imports.length > 0) {
    console.error(`${file}: has imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}`)
    failed = true
  } else if (hasStartSection(bytes)) {
    console.error(`${file}: has a start section (avoid top-level side effects)`)
    failed = true
  } else {
    console.log(`${relative(process.cwd(), outFile)} ${(await stat(outFile)).size} bytes`)
  }
}

if (failed) process.exit(1)
