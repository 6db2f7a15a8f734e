// Bundles the console (lib/console/) into dist/console/: index.html, app-<hash>.js and
// app-<hash>.css, each with a .gz beside it; the edge serves them at / (lib/gateway/console/).
// Type checking is `tsc -p lib/console/tsconfig.json` (npm run build:console runs both).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import * as esbuild from 'esbuild'

const here = fileURLToPath(new URL('.', import.meta.url))
const out = fileURLToPath(new URL('../../dist/console/', import.meta.url))

await rm(out, { recursive: true, force: true })
await mkdir(out, { recursive: true })
const result = await esbuild.build({
  entryPoints: { app: join(here, 'main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  // light-dark() in the theme's colours: Chrome 123, Firefox 120, Safari 17.5.
  target: ['chrome123', 'firefox120', 'safari17.5'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir: out,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning'
})
const files = Object.keys(result.metafile.outputs).map((f) => basename(f))
const script = files.find((f) => f.endsWith('.js'))
const style = files.find((f) => f.endsWith('.css'))
if (script === undefined || style === undefined) throw new Error(`unexpected outputs: ${files}`)
const html = (await readFile(join(here, 'index.html'), 'utf8'))
  .replace('%SCRIPT%', script)
  .replace('%STYLE%', style)
await writeFile(join(out, 'index.html'), html)
let gzipped = 0
for (const name of ['index.html', script, style]) {
  const zipped = gzipSync(await readFile(join(out, name)), { level: 9 })
  await writeFile(join(out, `${name}.gz`), zipped)
  gzipped += zipped.length
}
console.log(`console: ${script}, ${style}; ${(gzipped / 1024).toFixed(1)} KB gzipped`)
