import { CLOCK } from './preview1.js'

/** What clock_res_get reports for every clock: 1 µs, a promise hrtime keeps with room to spare. */
const RESOLUTION_NS = 1_000n

/**
 * The clocks of one WASI call, in nanoseconds, and its only way to wait. Monotonic time is
 * hrtime; realtime is the wall clock read once per call and advanced by hrtime, so it has
 * nanosecond steps and never goes back within a call. The CPU-time clocks are the call's own
 * running time (elapsed since the call began, minus time asleep in poll_oneoff), not
 * process.cpuUsage(): that counts every function sharing the process, a side channel between
 * tenants and not this call's cost.
 */
export class WasiClock {
  private readonly startNs = process.hrtime.bigint()
  private sleptNs = 0n
  private wallBaseNs: bigint | undefined
  private hrBaseNs = 0n
  private waitCell: Int32Array | undefined

  /** Nanoseconds on clock `id`, or null for a clock that does not exist. */
  now(id: number): bigint | null {
    const hr = process.hrtime.bigint()
    switch (id) {
      case CLOCK.MONOTONIC:
        return hr
      case CLOCK.REALTIME:
        if (this.wallBaseNs === undefined) {
          this.wallBaseNs = BigInt(Date.now()) * 1_000_000n
          this.hrBaseNs = hr
        }
        return this.wallBaseNs + (hr - this.hrBaseNs)
      case CLOCK.PROCESS_CPUTIME:
      case CLOCK.THREAD_CPUTIME:
        return hr - this.startNs - this.sleptNs
      default:
        return null
    }
  }

  /** The resolution of clock `id` in nanoseconds, or null for a clock that does not exist. */
  resolution(id: number): bigint | null {
    return id >= CLOCK.REALTIME && id <= CLOCK.THREAD_CPUTIME ? RESOLUTION_NS : null
  }

  /**
   * Blocks the thread until monotonic time `untilNs` or the wall-clock `deadline` (Date.now() ms),
   * whichever comes first. Atomics.wait on a private cell nobody notifies is a sleep that
   * costs no CPU; a worker must block anyway, since the module's _start is synchronous.
   */
  sleep(untilNs: bigint, deadline: number): void {
    this.waitCell ??= new Int32Array(new SharedArrayBuffer(4))
    for (;;) {
      const before = process.hrtime.bigint()
      const leftMs = Math.min(Number(untilNs - before) / 1e6, deadline - Date.now())
      if (leftMs <= 0) return
      Atomics.wait(this.waitCell, 0, 0, leftMs)
      this.sleptNs += process.hrtime.bigint() - before
    }
  }
}
