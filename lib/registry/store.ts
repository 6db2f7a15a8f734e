import { join } from 'node:path'
import Corestore from 'corestore'
import { damagedStateAdvice } from './checkpoint.js'

/** The Corestore's directory under an edge's state dir. */
export const CORESTORE_DIR = 'corestore'

/**
 * Opens the Corestore of an edge's state dir. What RocksDB and the Corestore's device file say
 * when they refuse a store is exact but terse ("block checksum mismatch ... 000008.sst",
 * "Invalid device file, was modified"): the refusal keeps it and adds what it means and what to
 * do. (A store RocksDB opens without complaint can still have lost writes: the registry's
 * checkpoint catches that.)
 */
export async function openStore(stateDir: string): Promise<Corestore> {
  const dir = join(stateDir, CORESTORE_DIR)
  const store = new Corestore(dir)
  try {
    await store.ready()
  } catch (err) {
    await store.close().catch(() => undefined) // it failed to open: nothing to flush
    throw storeRefusal(stateDir, dir, err as Error & { code?: string })
  }
  return store
}

function storeRefusal(stateDir: string, dir: string, err: Error & { code?: string }): Error {
  const { message } = err
  if (/\block(ed)?\b/i.test(message)) {
    // Another edge has the store open: the state dir is not damaged, just taken.
    return new Error(`${message}: another edge is running on ${stateDir}`, { cause: err })
  }
  if (err.code === 'DEVICE_FILE') {
    return new Error(
      `the Corestore in ${dir} is not where it was made (${message}): it was copied or moved. ` +
        `Two copies of one state dir must never run (their registry writers would fork). If this ` +
        `is a restored copy and the edge it came from is gone for good, delete ` +
        `${join(dir, 'CORESTORE')} and start again.`,
      { cause: err }
    )
  }
  return new Error(
    `the Corestore in ${dir} is damaged: ${message.trim()}. Refusing to start with a partial ` +
      `registry. ${damagedStateAdvice(stateDir)}`,
    { cause: err }
  )
}
