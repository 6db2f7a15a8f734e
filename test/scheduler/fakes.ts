/** Fake executors and invocations for the scheduler's tests. */
import type { SwarmError } from '../../lib/errors.js'
import type { Executor, ShardRun, ShardTask } from '../../lib/scheduler/executors.js'
import type { Candidate } from '../../lib/scheduler/placement.js'
import { Scheduler, type Invocation, type MemberExecutor } from '../../lib/scheduler/run.js'
import { validate } from '../../lib/wasm/policy.js'
import { SEED_WASM_BASE64 } from '../wasm/wat.js'

export const fn = await validate(Buffer.from(SEED_WASM_BASE64, 'base64'), { memoryPages: 16 })

/** The sum of a shard's items after the header, as the seed module computes it. */
export const sumOf = (shard: ShardTask, header: number) =>
  Array.from(shard.input.subarray(header)).reduce((a, b) => a + b, 0)

export type Behaviour = (shard: ShardTask) => Promise<ShardRun>

/** An executor that records what it was given and answers as told. */
export class Fake implements Executor {
  readonly seen: ShardTask[] = []
  pending = 0
  constructor(
    readonly id: string,
    readonly name: string,
    private readonly behaviour: Behaviour
  ) {}
  run(_invocation: Invocation, shard: ShardTask): Promise<ShardRun> {
    this.seen.push(shard)
    this.pending++
    return this.behaviour(shard).finally(() => this.pending--)
  }
}

export const answers =
  (header = 0): Behaviour =>
  async (shard) => ({ result: sumOf(shard, header) })
export const fails =
  (error: () => SwarmError): Behaviour =>
  async () => {
    throw error()
  }
export const never: Behaviour = () => new Promise<ShardRun>(() => undefined)

export function member(fake: Fake, over: Partial<Candidate> = {}): MemberExecutor {
  return {
    executor: fake,
    candidate: {
      id: fake.id,
      name: fake.name,
      self: false,
      distanceKm: 100,
      rttMs: 1,
      load: 0,
      workers: 1,
      healthy: true,
      ...over
    }
  }
}

export function scheduler(
  local: Fake,
  members: Fake[],
  strikes: string[] = [],
  over: { placement?: 'steal' | 'static'; rtt?: Record<string, number> } = {}
): Scheduler {
  return new Scheduler({
    local,
    workers: 1,
    maxShards: 16,
    ...(over.placement === undefined ? {} : { placement: over.placement }),
    members: () => members.map((m) => member(m, { rttMs: over.rtt?.[m.name] ?? 1 })),
    strike: (id) => strikes.push(id)
  })
}

export function invocation(input: number[], over: Partial<Invocation> = {}): Invocation {
  return {
    functionName: 'sum',
    reduce: 'sum',
    timeoutMs: 2_000,
    fn,
    input: Int32Array.from(input),
    headerItems: 0,
    event: null,
    module: { sha256: fn.sourceSha256, memoryMb: 1, config: null },
    requestId: 'test-request',
    context: { requestId: 'test-request', functionVersion: '$LATEST', invokedFunctionArn: '' },
    ...over
  }
}

export const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)
