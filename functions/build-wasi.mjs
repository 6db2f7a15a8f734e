// Compiles the WASI examples (runtime `wasi`: preview1 commands reading stdin, writing stdout)
// to functions/build/wasi-<language>-<name>.wasm:
//   functions/wasi/c/<name>.c     with clang --target=wasm32-wasi (Debian's clang, wasi-libc)
//   functions/wasi/rust/<name>.rs with rustc --target wasm32-wasi (Debian's rustc 1.63; std only)
// A missing toolchain is not an error (npm install must work without it): one line says what to
// install, and that language is skipped. Each output is then checked the way the wasi runtime
// wants it: imports only from wasi_snapshot_preview1, exports `_start` and `memory`, and no start
// section; a module that is not so fails the build.
import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hasStartSection } from './sections.mjs'

const root = dirname(fileURLToPath(import.meta.url))
const srcDir = join(root, 'wasi')
const outDir = join(root, 'build')

// clang's wasm driver runs any `wasm-opt` it finds on PATH after linking, and npm puts binaryen's
// (assemblyscript's dependency) there: the C output would depend on how this script is run
// (52 KB from node, 45 KB from npm). Compilers run without node_modules/.bin on PATH.
const env = {
  ...process.env,
  PATH: (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.split(sep).includes('node_modules'))
    .join(delimiter)
}

const probeDir = await mkdtemp(join(tmpdir(), 'build-wasi-'))
process.on('exit', () => rmSync(probeDir, { recursive: true, force: true }))

/** True if `command args` compiles the empty program `source` (the whole toolchain is there). */
async function probe(command, args, name, source) {
  const src = join(probeDir, name)
  await writeFile(src, source)
  try {
    execFileSync(command, args(src, join(probeDir, `${name}.wasm`)), { stdio: 'ignore', env })
    return true
  } catch {
    return false // not installed, or cannot build for the target (no libc, std or linker)
  }
}

// Each language: the toolchains to try, first that compiles wins; what to install when none does.
const languages = [
  {
    dir: 'c',
    ext: '.c',
    install: 'apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32',
    // Debian's clang finds wasi-libc in /usr/{include,lib}/wasm32-wasi; wasm-ld comes from lld.
    toolchains: ['clang', 'clang-14'].map((command) => ({
      command,
      args: (src, out) => ['--target=wasm32-wasi', '-O2', '-s', '-o', out, src]
    })),
    empty: 'int main(void) { return 0; }\n'
  },
  {
    dir: 'rust',
    ext: '.rs',
    install: 'apt-get install rustc libstd-rust-dev-wasm32',
    // Debian's rustc first: a rustup toolchain on PATH may lack the target and cannot fetch it
    // offline. Rust 1.63 calls the target wasm32-wasi; later Rust renamed it wasm32-wasip1.
    toolchains: ['/usr/bin/rustc', 'rustc'].flatMap((command) =>
      ['wasm32-wasi', 'wasm32-wasip1'].map((target) => ({
        command,
        args: (src, out) => [
          '--target',
          target,
          '-C',
          'opt-level=s',
          '-C',
          'lto',
          '-C',
          'strip=symbols',
          '-o',
          out,
          src
        ]
      }))
    ),
    empty: 'fn main() {}\n'
  }
]

/** The problems that keep a module from running as a wasi command (empty when it can). */
function check(bytes) {
  const problems = []
  const module = new WebAssembly.Module(bytes)
  for (const i of WebAssembly.Module.imports(module)) {
    if (i.module !== 'wasi_snapshot_preview1' || i.kind !== 'function') {
      problems.push(`imports ${i.kind} ${i.module}.${i.name}`)
    }
  }
  const exports = WebAssembly.Module.exports(module)
  for (const [name, kind] of [
    ['_start', 'function'],
    ['memory', 'memory']
  ]) {
    if (!exports.some((e) => e.name === name && e.kind === kind)) {
      problems.push(`does not export ${kind} ${name}`)
    }
  }
  if (hasStartSection(bytes)) problems.push('has a start section')
  return problems
}

await mkdir(outDir, { recursive: true })
let failed = false

for (const lang of languages) {
  const dir = join(srcDir, lang.dir)
  const sources = existsSync(dir)
    ? (await readdir(dir)).filter((f) => f.endsWith(lang.ext)).sort()
    : []
  if (sources.length === 0) continue
  let tool = null
  for (const candidate of lang.toolchains) {
    if (await probe(candidate.command, candidate.args, `empty${lang.ext}`, lang.empty)) {
      tool = candidate
      break
    }
  }
  if (!tool) {
    console.log(`wasi ${lang.dir} examples skipped: no toolchain (${lang.install})`)
    continue
  }
  for (const file of sources) {
    const src = join(dir, file)
    const out = join(outDir, `wasi-${lang.dir}-${file.slice(0, -lang.ext.length)}.wasm`)
    try {
      execFileSync(tool.command, tool.args(src, out), { stdio: 'inherit', env })
    } catch {
      console.error(`${relative(process.cwd(), src)}: ${tool.command} failed`)
      failed = true
      continue
    }
    const problems = check(new Uint8Array(await readFile(out)))
    if (problems.length > 0) {
      console.error(`${relative(process.cwd(), out)}: ${problems.join('; ')}`)
      failed = true
    } else {
      console.log(`${relative(process.cwd(), out)} ${(await stat(out)).size} bytes`)
    }
  }
}

if (failed) process.exit(1)
