import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { CLUSTER_KEY_FILE, loadClusterKey } from '../../lib/cluster/key.js'

t.test('a key is created on first use, saved 0600, and loaded after', async (t) => {
  const dir = t.testdir()
  const first = await loadClusterKey(join(dir, 'edge'), null)
  t.equal(first.length, 32)
  const file = join(dir, 'edge', CLUSTER_KEY_FILE)
  t.equal((await readFile(file, 'utf8')).trim(), first.toString('hex'))
  t.equal((await stat(file)).mode & 0o777, 0o600)
  t.same(await loadClusterKey(join(dir, 'edge'), null), first)
})

t.test('a configured key is used and saved when none is', async (t) => {
  const dir = t.testdir()
  const key = 'cd'.repeat(32)
  t.equal((await loadClusterKey(dir, key)).toString('hex'), key)
  t.equal((await readFile(join(dir, CLUSTER_KEY_FILE), 'utf8')).trim(), key)
})

t.test('a corrupt key file is refused, not replaced', async (t) => {
  const dir = t.testdir()
  await writeFile(join(dir, CLUSTER_KEY_FILE), 'garbage\n')
  await t.rejects(loadClusterKey(dir, null), /does not hold a 64-hex-character cluster key/)
  t.equal(await readFile(join(dir, CLUSTER_KEY_FILE), 'utf8'), 'garbage\n')
})
