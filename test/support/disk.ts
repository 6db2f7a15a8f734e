import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Bytes of every file under a directory. The store may be compacting while we count: a file
 * (or directory) erased between its listing and its stat counts for nothing, as it is gone.
 */
export async function diskBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await gone(readdir(dir, { withFileTypes: true }), [])) {
    const path = join(dir, entry.name)
    total += entry.isDirectory()
      ? await diskBytes(path)
      : ((await gone(stat(path), null))?.size ?? 0)
  }
  return total
}

/** The value, or `instead` when its file no longer exists (any other error is thrown). */
async function gone<T, U>(pending: Promise<T>, instead: U): Promise<T | U> {
  try {
    return await pending
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return instead
    throw err
  }
}
