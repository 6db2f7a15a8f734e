import t from 'tap'
import { InputStaging, SHARE_MIN_BYTES, STAGING_MAX_BYTES } from '../../lib/executor/staging.js'

const large = (items: number) => Int32Array.from({ length: items }, (_, i) => i * 7 - 3)

t.test('a small input is posted as it is', async (t) => {
  const input = new Int32Array([1, 2, 3])
  t.equal(new InputStaging().share(1, input), input)
})

t.test('a large input is copied into shared memory; the caller keeps its own', async (t) => {
  const input = large(SHARE_MIN_BYTES / 4)
  const shared = new InputStaging().share(1, input)
  t.ok(shared instanceof Int32Array)
  t.ok(shared.buffer instanceof SharedArrayBuffer)
  t.same(Array.from(shared), Array.from(input))
  t.equal(input.byteLength, SHARE_MIN_BYTES, 'the input is not detached')
  const bytes = new Uint8Array(input.buffer)
  const sharedBytes = new InputStaging().share(2, bytes)
  t.ok(sharedBytes instanceof Uint8Array)
  t.ok(sharedBytes.buffer instanceof SharedArrayBuffer)
  t.equal(Buffer.compare(Buffer.from(sharedBytes), Buffer.from(bytes)), 0)
})

t.test('one call holds the staging buffer until it is released', async (t) => {
  const staging = new InputStaging()
  const first = staging.share(1, large(SHARE_MIN_BYTES / 4))
  const second = staging.share(2, large(SHARE_MIN_BYTES / 4))
  t.not(second.buffer, first.buffer, 'a held buffer is not written over')
  staging.release(2) // not the holder: nothing changes
  t.not(staging.share(3, large(SHARE_MIN_BYTES / 4)).buffer, first.buffer)
  staging.release(1)
  const third = large(SHARE_MIN_BYTES / 4).map((x) => -x)
  const reused = staging.share(4, third)
  t.equal(reused.buffer, first.buffer, 'released: the next large input reuses it')
  t.same(Array.from(reused), Array.from(third))
})

t.test('an input already in shared memory, or over the staging cap, is not staged', async (t) => {
  const staging = new InputStaging()
  const shared = new Int32Array(new SharedArrayBuffer(SHARE_MIN_BYTES))
  t.equal(staging.share(1, shared), shared)
  const huge = new Uint8Array(STAGING_MAX_BYTES + 4)
  huge[huge.length - 1] = 9
  const own = staging.share(2, huge)
  t.equal(own.byteLength, huge.byteLength)
  t.equal(own[own.length - 1], 9)
  const next = staging.share(3, large(SHARE_MIN_BYTES / 4))
  t.not(next.buffer, own.buffer, 'the staging buffer was still free')
})
