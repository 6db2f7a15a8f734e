import { randomBytes } from 'node:crypto'
import { cp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { http } from '../support/cluster.js'
import { runCli, startEdge, stop } from '../support/processes.js'
import { SEED_WASM_BASE64 } from '../wasm/wat.js'

const FUNCTIONS = ['f1', 'f2', 'f3', 'f4', 'f5']
const EDGE_ENV = { SWARMLAMBDA_NODE_NAME: 'edge-a' }

/** A lone edge on `dir` (its cluster key from the dir, as a real edge would have it). */
const start = (dir: string) => startEdge(t, dir, EDGE_ENV)
const names = async (url: string) =>
  ((await http(url, 'GET', '/functions')).body.functions as { FunctionName: string }[]).map(
    (f) => f.FunctionName
  )

/** The Corestore's files of one kind (RocksDB: `NNNNNN.log` write-ahead log, `.sst` tables). */
async function dbFiles(dir: string, suffix: string): Promise<string[]> {
  const db = join(dir, 'corestore', 'db')
  const files = (await readdir(db)).filter((f) => f.endsWith(suffix)).map((f) => join(db, f))
  const sized = await Promise.all(files.map(async (f) => ({ f, size: (await stat(f)).size })))
  return sized.filter((x) => x.size > 0).map((x) => x.f)
}
const only = async (dir: string, suffix: string) => {
  const [file, ...more] = await dbFiles(dir, suffix)
  if (file === undefined || more.length > 0) throw new Error(`not one ${suffix} file in ${dir}`)
  return file
}
const shorten = async (file: string, by: (size: number) => number) =>
  truncate(file, by((await stat(file)).size))
async function scribble(file: string, offset: number, length: number) {
  const handle = await open(file, 'r+')
  await handle.write(randomBytes(length), 0, length, offset)
  await handle.close()
}

/**
 * A copy of a stopped edge's state dir. The Corestore's device file pins the store to the
 * inode it was made on (a copied store is refused: "Invalid device file, was modified"); it is
 * removed from the copy, as it would be from a restored backup.
 */
async function copy(base: string, dir: string): Promise<string> {
  await cp(base, dir, { recursive: true })
  await rm(join(dir, 'corestore', 'CORESTORE'))
  return dir
}

/** Starts an edge where it must refuse to: resolves with what it printed. */
const refused = (dir: string) =>
  runCli(t, ['edge', '--port', '0', '--state-dir', dir], EDGE_ENV, {
    killOn: /"msg":"edge ready"/,
    deadlineMs: 60_000
  })

const root = t.testdir({})
// Each case is an edge process starting (and refusing) on its own copy: two at a time.
t.jobs = 2

/** A state dir whose registry is still in the write-ahead log: deploys, then SIGKILL. */
const wal = join(root, 'wal')
/** The same written again into tables: a clean stop, a restart, a clean stop. */
const tables = join(root, 'tables')

t.before(async () => {
  for (const dir of [wal, tables]) {
    const edge = await start(dir)
    for (const name of FUNCTIONS) {
      const answer = await http(edge.url, 'POST', '/functions', {
        name,
        wasm_base64: SEED_WASM_BASE64
      })
      if (answer.status !== 201) throw new Error(`deploy ${name}: ${answer.status}`)
    }
    if (dir === wal) {
      await stop(edge.child, 'SIGKILL')
    } else {
      await stop(edge.child)
      await stop((await start(dir)).child)
    }
  }
})

t.test('an intact state dir (a copy) starts with every function', async (t) => {
  for (const base of [wal, tables]) {
    const edge = await start(await copy(base, join(root, `intact-${base === wal ? 'wal' : 'sst'}`)))
    t.same(await names(edge.url), FUNCTIONS)
    t.same(await stop(edge.child), [0, null])
  }
})

t.test('a fresh, empty state dir starts with an empty registry', async (t) => {
  const edge = await start(join(root, 'fresh'))
  t.same(await names(edge.url), [])
  t.same(await stop(edge.child), [0, null])
})

interface Damage {
  what: string
  base: string
  damage: (dir: string) => Promise<unknown>
  /** What the refusal must say. */
  says: RegExp
  /** Whether it must also say to restore the dir or start afresh (not for a bad key file). */
  advises?: false
}

const ADVICE =
  /Restore .* from a backup, or move it aside and start this edge on an empty state dir/
const LOST =
  /the Corestore lost writes: its registry core has \d+ blocks, but the edge had written \d+/
const RECREATED = /the Corestore was deleted or recreated/
const damages: Damage[] = [
  {
    what: 'the write-ahead log cut in half',
    base: wal,
    damage: async (dir) => shorten(await only(dir, '.log'), (size) => Math.floor(size / 2)),
    says: LOST
  },
  {
    what: 'the write-ahead log missing its last 100 bytes',
    base: wal,
    damage: async (dir) => shorten(await only(dir, '.log'), (size) => size - 100),
    says: LOST
  },
  {
    what: 'the write-ahead log overwritten with garbage',
    base: wal,
    damage: async (dir) => {
      const file = await only(dir, '.log')
      await writeFile(file, randomBytes((await stat(file)).size))
    },
    says: RECREATED
  },
  {
    what: 'garbage in the middle of the write-ahead log',
    base: wal,
    damage: async (dir) => {
      const file = await only(dir, '.log')
      await scribble(file, Math.floor((await stat(file)).size / 2), 64)
    },
    says: LOST
  },
  {
    what: 'the write-ahead log deleted',
    base: wal,
    damage: async (dir) => rm(await only(dir, '.log')),
    says: RECREATED
  },
  {
    what: "the Corestore's database deleted",
    base: wal,
    damage: (dir) => rm(join(dir, 'corestore', 'db'), { recursive: true }),
    says: RECREATED
  },
  {
    what: 'the whole Corestore deleted (cluster.key and checkpoint left)',
    base: tables,
    damage: (dir) => rm(join(dir, 'corestore'), { recursive: true }),
    says: RECREATED
  },
  {
    what: 'a table overwritten with garbage',
    base: tables,
    damage: async (dir) => scribble(await only(dir, '.sst'), 100, 200),
    says: /the Corestore in .* is damaged: block checksum mismatch.*\.sst/
  },
  {
    what: 'a table cut in half',
    base: tables,
    damage: async (dir) => shorten(await only(dir, '.sst'), (size) => Math.floor(size / 2)),
    says: /the Corestore in .* is damaged: .*size mismatch.*\.sst/
  },
  {
    what: 'a table deleted',
    base: tables,
    damage: async (dir) => rm(await only(dir, '.sst')),
    says: /the Corestore in .* is damaged: .*\.sst: No such file/
  },
  {
    what: 'cluster.key overwritten with garbage',
    base: tables,
    damage: (dir) => writeFile(join(dir, 'cluster.key'), randomBytes(65)),
    says: /cluster\.key does not hold a 64-hex-character cluster key/,
    advises: false
  },
  {
    what: 'cluster.key cut short',
    base: tables,
    damage: async (dir) => truncate(join(dir, 'cluster.key'), 20),
    says: /cluster\.key does not hold a 64-hex-character cluster key/,
    advises: false
  },
  {
    what: 'cluster.key deleted',
    base: tables,
    damage: (dir) => rm(join(dir, 'cluster.key')),
    says: /cluster\.key is missing, but .* holds an edge's Corestore/,
    advises: false
  },
  {
    what: 'the registry checkpoint overwritten with garbage',
    base: tables,
    damage: (dir) => writeFile(join(dir, 'registry.checkpoint'), randomBytes(40)),
    says: /registry\.checkpoint is not a registry checkpoint/
  }
]

for (const [i, { what, base, damage, says, advises }] of damages.entries()) {
  t.test(`${what}: the edge refuses to start, saying why`, async (t) => {
    const dir = await copy(base, join(root, `damaged-${i}`))
    await damage(dir)
    const before = await readFile(join(dir, 'registry.checkpoint'), 'utf8').catch(() => null)
    const ran = await refused(dir)
    t.not(ran.code, 0, 'a non-zero exit')
    t.equal(ran.signal, null, 'it exited by itself (it did not start and get killed)')
    t.match(ran.stderr, /^cannot start the edge: /, 'on stderr')
    t.match(ran.stderr, says, ran.stderr.trim())
    if (advises !== false) t.match(ran.stderr, ADVICE, 'and what to do')
    const after = await readFile(join(dir, 'registry.checkpoint'), 'utf8').catch(() => null)
    t.equal(after, before, 'the checkpoint is left as it was')
  })
}

t.test('a copy that kept the device file is refused as a copy', async (t) => {
  const dir = join(root, 'copied')
  await cp(tables, dir, { recursive: true })
  const ran = await refused(dir)
  t.not(ran.code, 0)
  t.match(ran.stderr, /the Corestore in .* is not where it was made \(Invalid device file/)
  t.match(ran.stderr, /If this is a restored copy and the edge it came from is gone for good/)
})

t.test('a deleted checkpoint: the registry is taken as it is, and a new one written', async (t) => {
  const dir = await copy(tables, join(root, 'no-checkpoint'))
  await rm(join(dir, 'registry.checkpoint'))
  const edge = await start(dir)
  t.same(await names(edge.url), FUNCTIONS)
  t.same(await stop(edge.child), [0, null])
  t.match(JSON.parse(await readFile(join(dir, 'registry.checkpoint'), 'utf8')), {
    version: 1,
    registry: { length: Number }
  })
})
