import { createHmac, randomBytes } from 'node:crypto'
import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CORESTORE_DIR } from '../registry/store.js'

/** The file, under an edge's state dir, that holds its cluster key as hex. */
export const CLUSTER_KEY_FILE = 'cluster.key'

/** A fresh 32-byte cluster key. */
export function generateClusterKey(): Buffer {
  return randomBytes(32)
}

/**
 * The cluster key of an edge: the configured one if given (saved when the state dir has none),
 * else the one saved in the state dir, else a new one, saved (mode 0600) for the next start.
 * A state dir an edge has already run in always holds its key (it is saved before the Corestore
 * is opened): with the file gone and no key configured, a new key would silently put the edge
 * and its registry in a cluster of its own, so that is refused.
 */
export async function loadClusterKey(stateDir: string, configured: string | null): Promise<Buffer> {
  const file = join(stateDir, CLUSTER_KEY_FILE)
  const saved = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null
      throw err
    }
  )
  if (saved !== null && !/^[0-9a-f]{64}$/.test(saved)) {
    throw new Error(`${file} does not hold a 64-hex-character cluster key`)
  }
  if (saved === null && configured === null && (await exists(join(stateDir, CORESTORE_DIR)))) {
    throw new Error(
      `${file} is missing, but ${stateDir} holds an edge's Corestore: a new key would start a ` +
        `cluster of its own. Restore the file, or give the key with SWARMLAMBDA_CLUSTER_KEY`
    )
  }
  const key = configured ?? saved ?? generateClusterKey().toString('hex')
  if (saved === null) {
    await mkdir(stateDir, { recursive: true })
    await writeFile(file, key + '\n', { mode: 0o600 })
  }
  return Buffer.from(key, 'hex')
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false
  )
}

/** Labels of what is derived from a cluster key: each use gets its own key, none is the key. */
const TOPIC_LABEL = 'swarm-lambda/topic/v1'
const AUTH_LABEL = 'swarm-lambda/auth/v1'
const DEV_KEY_ID_LABEL = 'swarm-lambda/dev-access-key-id/v1'
const DEV_SECRET_LABEL = 'swarm-lambda/dev-access-key-secret/v1'

/** What an edge derives from its cluster key; the key itself never leaves the process. */
export interface ClusterSecrets {
  /** The Hyperswarm topic (public: anyone who sees it learns nothing of the key). */
  topic: Buffer
  /** The key that proves membership on each connection. */
  authKey: Buffer
}

/** Derives the swarm topic and the auth key from a cluster key (HMAC-SHA256 with fixed labels). */
export function deriveSecrets(clusterKey: Buffer): ClusterSecrets {
  return {
    topic: createHmac('sha256', clusterKey).update(TOPIC_LABEL).digest(),
    authKey: createHmac('sha256', clusterKey).update(AUTH_LABEL).digest()
  }
}

/**
 * The access key `swarm-lambda dev` gives its local mesh when none is configured: derived from
 * the cluster key, so it stays the same across restarts of the same state dir.
 */
export function deriveDevAccessKey(clusterKey: Buffer): { id: string; secret: string } {
  const id = createHmac('sha256', clusterKey).update(DEV_KEY_ID_LABEL).digest('hex')
  const secret = createHmac('sha256', clusterKey).update(DEV_SECRET_LABEL).digest('base64url')
  return { id: `SLDEV${id.slice(0, 15).toUpperCase()}`, secret: secret.slice(0, 40) }
}
