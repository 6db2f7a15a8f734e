import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Realm } from './realm.js'

/**
 * Pyodide's memory snapshot: an interpreter booted once (2–4 s), its memory saved (21 MB), so a
 * new interpreter starts from it in ~200 ms. `npm run build` writes it next to dist/ for the
 * installed Pyodide version; a worker that finds none makes one itself at its first Python
 * container (slow once) and keeps it.
 */

const VERSION = (createRequire(import.meta.url)('pyodide/package.json') as { version: string })
  .version
/** dist/pyodide-<version>.snapshot (this file is dist/lib/runtimes/python/snapshot.js). */
export const SNAPSHOT_PATH = fileURLToPath(
  new URL(`../../../pyodide-${VERSION}.snapshot`, import.meta.url)
)
/** The memory a snapshot is made with (the snapshot is its used part, not this). */
const SNAPSHOT_MEMORY_MB = 256

let cached: Promise<Uint8Array> | null = null

/** The snapshot: read from disk, or made here once (then kept for this worker's life). */
export function snapshot(): Promise<Uint8Array> {
  cached ??= existsSync(SNAPSHOT_PATH)
    ? Promise.resolve(new Uint8Array(readFileSync(SNAPSHOT_PATH)))
    : makeSnapshot()
  return cached
}

/** Boots an interpreter and snapshots it. */
export async function makeSnapshot(): Promise<Uint8Array> {
  const realm = await Realm.create({
    memoryMb: SNAPSHOT_MEMORY_MB,
    snapshot: null,
    makeSnapshot: true
  })
  return realm.snapshot()
}

/** Writes the snapshot file (npm run build). */
export async function writeSnapshot(): Promise<string> {
  await writeFile(SNAPSHOT_PATH, await makeSnapshot())
  return SNAPSHOT_PATH
}
