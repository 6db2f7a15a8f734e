import type { WasiClock } from './clock.js'
import { fits } from './memory.js'
import { CLOCK, ERRNO, EVENTRW_HANGUP, EVENTTYPE, LAYOUT, SUBCLOCK_ABSTIME } from './preview1.js'

/** What poll_oneoff needs of the host: its clock and deadline, and the streams' state. */
export interface PollContext {
  clock: WasiClock
  /** Date.now() ms by which the call must end. */
  deadline: number
  /** Bytes stdin still holds if `fd` is readable, else null. */
  readable(fd: number): number | null
  /** Room left if `fd` is writable, else null. */
  writable(fd: number): number | null
}

/**
 * poll_oneoff: stream subscriptions are answered at once (stdin is all in memory, writes never
 * block; a fd that is not open, or not open that way, gets an event with EBADF). Clock
 * subscriptions sleep until the earliest timeout when nothing else is ready, but never past the
 * call's deadline: if the deadline comes first, the earliest timeouts are reported as fired and
 * the module runs on, to be timed out by the caller's deadline check or interrupt. Reporting them
 * keeps Rust's thread::sleep, which panics on any other answer, from turning a timeout into a
 * misleading panic in the log.
 */
export function pollOneoff(
  view: DataView,
  subs: number,
  events: number,
  count: number,
  nevents: number,
  context: PollContext
): number {
  const n = count >>> 0
  if (n === 0) return ERRNO.INVAL // nothing to wait for would block forever
  if (
    !fits(view, subs, n * LAYOUT.subscription) ||
    !fits(view, events, n * LAYOUT.event) ||
    !fits(view, nevents, 4)
  ) {
    return ERRNO.FAULT
  }
  // Every subscription is read before any event is written: the two arrays may overlap.
  const ready: PollEvent[] = []
  const timers: Array<{ userdata: bigint; atNs: bigint }> = []
  for (let i = 0; i < n; i++) {
    const sub = (subs >>> 0) + i * LAYOUT.subscription
    const userdata = view.getBigUint64(sub, true)
    const type = view.getUint8(sub + LAYOUT.subscriptionTag)
    if (type === EVENTTYPE.CLOCK) {
      const id = view.getUint32(sub + LAYOUT.clockId, true)
      const timeout = view.getBigUint64(sub + LAYOUT.clockTimeout, true)
      const absolute = (view.getUint16(sub + LAYOUT.clockFlags, true) & SUBCLOCK_ABSTIME) !== 0
      const now = context.clock.now(id)
      if (now === null) {
        ready.push({ userdata, error: ERRNO.INVAL, type })
        continue
      }
      // Every timer becomes a monotonic instant, so a realtime step cannot stretch the sleep.
      const monotonic = context.clock.now(CLOCK.MONOTONIC) as bigint
      timers.push({ userdata, atNs: monotonic + (absolute ? timeout - now : timeout) })
    } else if (type === EVENTTYPE.FD_READ || type === EVENTTYPE.FD_WRITE) {
      const fd = view.getInt32(sub + LAYOUT.subscriptionFd, true)
      const nbytes = type === EVENTTYPE.FD_READ ? context.readable(fd) : context.writable(fd)
      if (nbytes === null) ready.push({ userdata, error: ERRNO.BADF, type })
      else ready.push({ userdata, error: ERRNO.SUCCESS, type, nbytes })
    } else {
      ready.push({ userdata, error: ERRNO.INVAL, type })
    }
  }
  if (timers.length > 0) {
    let earliest = timers[0]!.atNs
    for (const timer of timers) if (timer.atNs < earliest) earliest = timer.atNs
    if (ready.length === 0) context.clock.sleep(earliest, context.deadline)
    const now = context.clock.now(CLOCK.MONOTONIC) as bigint
    // Woken by the deadline, nothing has fired yet: the earliest are reported (see above).
    const fired = ready.length === 0 && now < earliest ? earliest : now
    for (const { userdata, atNs } of timers) {
      if (atNs <= fired) ready.push({ userdata, error: ERRNO.SUCCESS, type: EVENTTYPE.CLOCK })
    }
  }
  ready.forEach((event, i) => writeEvent(view, (events >>> 0) + i * LAYOUT.event, event))
  view.setUint32(nevents >>> 0, ready.length, true)
  return ERRNO.SUCCESS
}

interface PollEvent {
  userdata: bigint
  error: number
  type: number
  /** fd events: bytes readable, or room to write. */
  nbytes?: number
}

/** Writes one `event` record; stdin at its end is flagged HANGUP. */
function writeEvent(view: DataView, at: number, event: PollEvent): void {
  const nbytes = event.nbytes ?? 0
  new Uint8Array(view.buffer, at, LAYOUT.event).fill(0)
  view.setBigUint64(at, event.userdata, true)
  view.setUint16(at + LAYOUT.eventError, event.error, true)
  view.setUint8(at + LAYOUT.eventType, event.type)
  view.setBigUint64(at + LAYOUT.eventNbytes, BigInt(nbytes), true)
  const hangup = event.type === EVENTTYPE.FD_READ && event.error === ERRNO.SUCCESS && nbytes === 0
  view.setUint16(at + LAYOUT.eventFlags, hangup ? EVENTRW_HANGUP : 0, true)
}
