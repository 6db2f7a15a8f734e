// `npm start` and `npm test` as the first command on a fresh clone: when node_modules is
// missing or older than package-lock.json (npm writes node_modules/.package-lock.json on each
// install), run `npm ci` first (it builds, too: the `prepare` script). Plain JS: it runs before
// anything is built.
import { spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const mtime = (path) => {
  try {
    return statSync(new URL(path, new URL('..', import.meta.url))).mtimeMs
  } catch {
    return 0
  }
}
const installed = mtime('node_modules/.package-lock.json')
if (installed === 0 || installed < mtime('package-lock.json')) {
  console.error(
    installed === 0
      ? 'node_modules is missing: npm ci first'
      : 'node_modules is older than package-lock.json: npm ci first'
  )
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' })
  process.exit(npm.status ?? 1)
}
