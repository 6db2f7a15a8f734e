import { existsSync } from 'node:fs'
import { SNAPSHOT_PATH, writeSnapshot } from './snapshot.js'

// npm run build:python: Pyodide's memory snapshot, made once here rather than in every worker
// (its name carries Pyodide's version, so an upgrade makes a new one).
if (existsSync(SNAPSHOT_PATH)) {
  console.log(`python snapshot: ${SNAPSHOT_PATH} (kept)`)
} else {
  const started = Date.now()
  await writeSnapshot()
  console.log(`python snapshot: ${SNAPSHOT_PATH} (${Date.now() - started} ms)`)
}
