/**
 * Async benchmark: what durability costs an `Event` invocation, in one run.
 *
 *   npm run bench -- --only async [--quick]
 *
 * Two edges, each a process on 127.0.0.1 with a local DHT, members of each other: R acks
 * `replicated` (the 202 waits until L holds the job), L acks `local` (its disk only).
 * - Accept latency: sequential Event invocations of a tiny function on R and on L, interleaved
 *   in rounds so drift hits both; the baseline is a RequestResponse Invoke of the same function
 *   on R in the same rounds (what any request costs).
 * - Jobs/s through one edge: a burst of Event invocations on R (16 at a time), timed from the
 *   first accept until R lists none pending.
 */
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import { startDht, startEdge } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'
import { Cleanups, percentile, round, type Bench } from './bench.js'

const INVOKE = '/2015-03-31/functions/tiny/invocations'

export const run: Bench = async (options) => {
  const ACCEPTS = options.quick ? 200 : 2_000
  const BURST = options.quick ? 500 : 5_000
  const cleanups = new Cleanups()
  const dir = await cleanups.dir('async')
  try {
    const key = 'a5'.repeat(32)
    const { bootstrap } = await startDht(cleanups)
    const edge = (name: string, ack: string) =>
      startEdge(cleanups, join(dir, name), {
        SWARMLAMBDA_NODE_NAME: `edge-${name}`,
        SWARMLAMBDA_CLUSTER_KEY: key,
        SWARMLAMBDA_BOOTSTRAP: bootstrap,
        SWARMLAMBDA_ASYNC_ACK: ack
      })
    const [r, l] = await Promise.all([edge('r', 'replicated'), edge('l', 'local')])
    const pools = {
      r: new Pool(r!.url, { connections: 16 }),
      l: new Pool(l!.url, { connections: 1 })
    }
    cleanups.teardown(() => Promise.all([pools.r.close(), pools.l.close()]))
    const call = async (
      pool: Pool,
      method: 'GET' | 'POST',
      path: string,
      body?: string,
      headers?: Record<string, string>
    ) => {
      const res = await pool.request({
        method,
        path,
        headers,
        ...(body === undefined ? {} : { body })
      })
      return { status: res.statusCode, text: await res.body.text() }
    }
    const members = async (pool: Pool) =>
      (JSON.parse((await call(pool, 'GET', '/cluster')).text) as { links: unknown[] }).links.length
    const started = performance.now()
    while ((await members(pools.r)) < 1 || (await members(pools.l)) < 1) {
      if (performance.now() - started > 60_000) throw new Error('the two edges never met')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const wasm = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
    const deployed = await call(
      pools.r,
      'POST',
      '/functions',
      JSON.stringify({ name: 'tiny', wasm_base64: Buffer.from(wasm).toString('base64') })
    )
    if (deployed.status !== 201) throw new Error(`deploy: ${deployed.status} ${deployed.text}`)
    for (;;) {
      if ((await call(pools.l, 'POST', INVOKE, '[1]')).status === 200) break
      await new Promise((resolve) => setTimeout(resolve, 5))
    }

    const event = { 'x-amz-invocation-type': 'Event' }
    const timed = async (samples: number[], pool: Pool, headers?: Record<string, string>) => {
      const t0 = performance.now()
      const res = await call(pool, 'POST', INVOKE, '[1,2,3]', headers)
      samples.push(performance.now() - t0)
      const expected = headers === undefined ? 200 : 202
      if (res.status !== expected) throw new Error(`${res.status} ${res.text}`)
    }
    const replicated: number[] = []
    const local: number[] = []
    const sync: number[] = []
    const rounds = 10
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < ACCEPTS / rounds; i++) await timed(replicated, pools.r, event)
      for (let i = 0; i < ACCEPTS / rounds; i++) await timed(local, pools.l, event)
      for (let i = 0; i < ACCEPTS / rounds; i++) await timed(sync, pools.r)
    }

    // Jobs/s: wait for the accept rounds' jobs to finish first, then time a burst.
    const pending = async () =>
      (
        JSON.parse((await call(pools.r, 'GET', '/api/v1/jobs?status=pending&MaxItems=1')).text) as {
          jobs: unknown[]
        }
      ).jobs.length
    const drained = async (limitMs: number) => {
      const t0 = performance.now()
      while ((await pending()) > 0) {
        if (performance.now() - t0 > limitMs) throw new Error('jobs still pending')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    await drained(120_000)
    const burstStart = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < BURST) {
          next++
          const res = await call(pools.r, 'POST', INVOKE, '[1,2,3]', event)
          if (res.status !== 202) throw new Error(`${res.status} ${res.text}`)
        }
      })
    )
    const acceptedIn = performance.now() - burstStart
    await drained(300_000)
    const burstMs = performance.now() - burstStart

    const pct = percentile
    const ms = (n: number) => `${n.toFixed(2)} ms`
    const line = (label: string, samples: number[]) =>
      console.log(
        `  ${label}: p50 ${ms(pct(samples, 0.5))}  p99 ${ms(pct(samples, 0.99))}  (${samples.length} calls)`
      )
    console.log(
      `async benchmark (${options.quick ? '--quick, ' : ''}2 edges as processes, 127.0.0.1)`
    )
    line('Event accept, ack replicated', replicated)
    line('Event accept, ack local     ', local)
    line('RequestResponse Invoke      ', sync)
    const rate = BURST / (burstMs / 1000)
    console.log(
      `  jobs/s through one edge     : ${rate.toFixed(0)} (${BURST} Event jobs, accepted in ${(acceptedIn / 1000).toFixed(2)} s, all done in ${(burstMs / 1000).toFixed(2)} s)`
    )
    const timing = (samples: number[]) => ({
      p50_ms: round(pct(samples, 0.5), 3),
      p99_ms: round(pct(samples, 0.99), 3),
      calls: samples.length
    })
    return {
      figures: {
        async: {
          replicated: timing(replicated),
          local: timing(local),
          request_response: timing(sync),
          jobs_per_second: round(rate, 0),
          burst: BURST
        }
      },
      targets: [
        {
          name: 'Event accept p50, ack replicated',
          value: round(pct(replicated, 0.5)),
          limit: 5,
          better: 'lower',
          unit: 'ms'
        }
      ]
    }
  } finally {
    await cleanups.run()
  }
}
