import { createHmac, timingSafeEqual } from 'node:crypto'
import c from 'compact-encoding'
import Protomux from 'protomux'
import type { NoiseSecretStream } from 'hyperswarm'

/** A peer that has not proven the key within this long is dropped. */
export const AUTH_TIMEOUT_MS = 3_000
const PROTOCOL = 'swarm-lambda/auth/v1'
const PROOF_LABEL = 'swarm-lambda/auth-proof/v1'

/** Why a connection was refused. */
export type AuthFailure = 'bad-proof' | 'timeout' | 'closed' | 'duplicate'

/**
 * Proves the cluster key on one connection and checks the peer's proof. Each side sends, as the
 * handshake of a protomux channel, HMAC(authKey, label ‖ Noise handshake hash ‖ own public key):
 * bound to this connection (no replay elsewhere) and to the sender (no reflection). Nothing else
 * may use the connection before this resolves; on any failure the connection is destroyed.
 * Call it synchronously from the connection handler (protomux must see the stream first).
 */
export function authenticate(
  conn: NoiseSecretStream,
  authKey: Buffer,
  timeoutMs = AUTH_TIMEOUT_MS
): Promise<Protomux> {
  const mux = Protomux.from(conn)
  return new Promise<Protomux>((resolve, reject) => {
    let settled = false
    const fail = (why: AuthFailure) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      conn.destroy()
      reject(Object.assign(new Error(`peer refused: ${why}`), { code: 'AUTH_FAILED', why }))
    }
    const timer = setTimeout(() => fail('timeout'), timeoutMs)
    const channel = mux.createChannel<Buffer>({
      protocol: PROTOCOL,
      handshake: c.fixed32,
      onopen(remoteProof) {
        const expected = proof(authKey, conn.handshakeHash, conn.remotePublicKey)
        if (!timingSafeEqual(remoteProof, expected)) return fail('bad-proof')
        settled = true
        clearTimeout(timer)
        resolve(mux)
      },
      onclose() {
        fail('closed')
      }
    })
    if (channel === null) return fail('duplicate')
    channel.open(proof(authKey, conn.handshakeHash, conn.publicKey))
    conn.once('close', () => fail('closed'))
  })
}

function proof(authKey: Buffer, handshakeHash: Buffer | null, publicKey: Buffer | null): Buffer {
  if (handshakeHash === null || publicKey === null)
    throw new Error('the Noise handshake is not done')
  return createHmac('sha256', authKey)
    .update(PROOF_LABEL)
    .update(handshakeHash)
    .update(publicKey)
    .digest()
}
