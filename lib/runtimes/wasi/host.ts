import { webcrypto } from 'node:crypto'
import { WasiClock } from './clock.js'
import { StderrTail, StdoutBuffer, WasiOutputTooLarge } from './output.js'
import { pollOneoff } from './poll.js'
import { ERRNO, FDFLAGS, FILETYPE_CHARACTER_DEVICE, LAYOUT, STD_RIGHTS } from './preview1.js'
import { encodeStrings, fits, iovecs, sizes, strings, u64, type Strings } from './memory.js'

export { WasiOutputTooLarge } from './output.js'
export { WASI_IMPORTS } from './preview1.js'

/** One call's I/O and limits. */
export interface WasiCall {
  stdin: Uint8Array
  /** argv: [function name]. */
  args: string[]
  /** The function's environment plus AWS_LAMBDA_*. */
  env: Record<string, string>
  /** Date.now() ms by which the call must end: poll_oneoff never sleeps past it. */
  deadline: number
  /** Bytes (6 MiB in production); past it the call fails with WasiOutputTooLarge. */
  stdoutLimit: number
  /** Bytes (256 KiB); past it the oldest stderr bytes are dropped. */
  stderrLimit: number
  /** A buffer stdout may start in (see StdoutBuffer). */
  stdoutScratch?: Uint8Array
}

/** What a call produced. */
export interface WasiOutcome {
  /** Exactly the bytes written to fd 1, in one buffer of its own (transferable). */
  stdout: Uint8Array
  /** What was written to fd 2 (decoded UTF-8, lossy), capped: the newest bytes kept. */
  stderr: string
  /** proc_exit's code, or null when _start returned. */
  exitCode: number | null
}

/** Thrown by proc_exit to unwind _start. */
export class WasiExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`)
    this.name = 'WasiExit'
  }
}

const STDIN = 0
const STDOUT = 1
const STDERR = 2
const U32_MAX = 0xffff_ffff

type Errno = number
type I64 = bigint

/**
 * The WASI preview1 host of one call: stdin is the request, stdout the answer, stderr the log.
 * Deny by default: the only descriptors are 0-2 (no filesystem, no preopens, no sockets), every
 * pointer from the module is checked against memory (EFAULT, never a host exception), and each
 * function's answer is listed in imports() with why.
 */
export class WasiHost {
  private readonly stdout: StdoutBuffer
  private readonly stderr: StderrTail
  private readonly clock = new WasiClock()
  /** Whether fds 0-2 are open: fd_close closes them in this call's table only. */
  private readonly open = [true, true, true]
  private stdinAt = 0
  private argv: Strings | undefined
  private environ: Strings | undefined
  /**
   * How the call ended, when a host function ended it. Kept because Wasm exception handling
   * lets a module catch the throw and go on: it then meets the same error at its next write,
   * read or poll, and run() reports it whatever _start does.
   */
  private ended: WasiExit | WasiOutputTooLarge | undefined

  constructor(private readonly call: WasiCall) {
    this.stdout = new StdoutBuffer(call.stdoutLimit, call.stdoutScratch)
    this.stderr = new StderrTail(call.stderrLimit)
  }

  /**
   * The `wasi_snapshot_preview1` import namespace, bound to the instance's memory (a getter: it
   * may grow).
   */
  imports(memory: () => WebAssembly.Memory): WebAssembly.ModuleImports {
    // A new view only when the buffer changed: memory.grow detaches the previous one.
    let viewed: DataView | null = null
    const view = (): DataView => {
      const buffer = memory().buffer
      if (viewed === null || viewed.buffer !== buffer) viewed = new DataView(buffer)
      return viewed
    }
    const std = (fd: number) => fd >= STDIN && fd <= STDERR && this.open[fd] === true
    /** The answer for an operation that exists on a stream but is refused on 0-2. */
    const refused = (fd: number, errno: Errno) => (std(fd) ? errno : ERRNO.BADF)
    /** No preopens and no path rights on 0-2: every path operation is refused. */
    const noPath = (...fds: number[]) => (fds.every(std) ? ERRNO.NOTCAPABLE : ERRNO.BADF)

    return {
      // The function name and the environment, as wasi-libc's and Rust's start-up ask for them.
      args_sizes_get: (count: number, size: number) =>
        sizes(view(), (this.argv ??= encodeStrings(this.call.args)), count, size),
      args_get: (ptrs: number, buf: number) =>
        strings(view(), (this.argv ??= encodeStrings(this.call.args)), ptrs, buf),
      environ_sizes_get: (count: number, size: number) => sizes(view(), this.env(), count, size),
      environ_get: (ptrs: number, buf: number) => strings(view(), this.env(), ptrs, buf),

      // Time: libc's clock_gettime, time(), Rust's Instant and SystemTime.
      clock_res_get: (id: number, out: number) => u64(view(), out, this.clock.resolution(id)),
      clock_time_get: (id: number, _precision: I64, out: number) =>
        u64(view(), out, this.clock.now(id)),

      // Randomness for hash seeds and getrandom(): the host's CSPRNG.
      random_get: (buf: number, len: number) => this.random(view(), buf, len),

      // The three streams.
      fd_read: (fd: number, iovs: number, count: number, nread: number) =>
        this.read(view(), fd, iovs, count, nread),
      fd_write: (fd: number, iovs: number, count: number, nwritten: number) =>
        this.write(view(), fd, iovs, count, nwritten),
      fd_pread: (fd: number) => refused(fd, ERRNO.SPIPE),
      fd_pwrite: (fd: number) => refused(fd, ERRNO.SPIPE),
      fd_seek: (fd: number) => refused(fd, ERRNO.SPIPE),
      fd_tell: (fd: number) => refused(fd, ERRNO.SPIPE),
      // What the streams are (character devices): wasi-libc's isatty() asks before stdout's first
      // write, to choose line or full buffering (STD_RIGHTS makes it full).
      fd_fdstat_get: (fd: number, out: number) => this.fdstat(view(), fd, out),
      // APPEND and NONBLOCK are already true (writes append, stdin never blocks); others are not.
      fd_fdstat_set_flags: (fd: number, flags: number) =>
        refused(fd, (flags & ~(FDFLAGS.APPEND | FDFLAGS.NONBLOCK)) === 0 ? 0 : ERRNO.NOTSUP),
      fd_fdstat_set_rights: (fd: number) => refused(fd, ERRNO.NOTSUP),
      fd_filestat_get: (fd: number, out: number) => this.filestat(view(), fd, out),
      fd_filestat_set_size: (fd: number) => refused(fd, ERRNO.NOTSUP),
      fd_filestat_set_times: (fd: number) => refused(fd, ERRNO.NOTSUP),
      fd_close: (fd: number) => {
        if (!std(fd)) return ERRNO.BADF
        this.open[fd] = false
        return ERRNO.SUCCESS
      },
      // fsync() on stdout or stderr: what is written is already where it goes. Not on stdin, as
      // on a pipe.
      fd_sync: (fd: number) => refused(fd, fd === STDIN ? ERRNO.INVAL : ERRNO.SUCCESS),
      fd_datasync: (fd: number) => refused(fd, fd === STDIN ? ERRNO.INVAL : ERRNO.SUCCESS),
      fd_advise: (fd: number) => refused(fd, ERRNO.NOTSUP),
      fd_allocate: (fd: number) => refused(fd, ERRNO.NOTSUP),
      fd_renumber: (fd: number) => refused(fd, ERRNO.NOTSUP),
      fd_readdir: () => ERRNO.BADF,

      // No preopens: wasi-libc's start-up scans fds from 3 and stops at the first EBADF.
      fd_prestat_get: () => ERRNO.BADF,
      fd_prestat_dir_name: () => ERRNO.BADF,

      // No filesystem. Reached only by code passing its own fds (libc resolves paths through the
      // preopens first, and finds none).
      path_open: (dirfd: number) => noPath(dirfd),
      path_create_directory: (dirfd: number) => noPath(dirfd),
      path_filestat_get: (dirfd: number) => noPath(dirfd),
      path_filestat_set_times: (dirfd: number) => noPath(dirfd),
      path_link: (oldFd: number, _flags: number, _path: number, _len: number, newFd: number) =>
        noPath(oldFd, newFd),
      path_readlink: (dirfd: number) => noPath(dirfd),
      path_remove_directory: (dirfd: number) => noPath(dirfd),
      path_rename: (oldFd: number, _path: number, _len: number, newFd: number) =>
        noPath(oldFd, newFd),
      path_symlink: (_path: number, _len: number, dirfd: number) => noPath(dirfd),
      path_unlink_file: (dirfd: number) => noPath(dirfd),

      // No sockets. Preview1 cannot create one (a socket exists only as an fd the host hands
      // over, and we hand over none), so the errno table's per-fd answers are exact: 0-2 are
      // character devices (ENOTSOCK), any other fd is not open (EBADF). ENOSYS would say the
      // function is missing, though it links, and say nothing of the fd.
      sock_accept: (fd: number) => refused(fd, ERRNO.NOTSOCK),
      sock_recv: (fd: number) => refused(fd, ERRNO.NOTSOCK),
      sock_send: (fd: number) => refused(fd, ERRNO.NOTSOCK),
      sock_shutdown: (fd: number) => refused(fd, ERRNO.NOTSOCK),

      // sleep(), nanosleep(), Rust's thread::sleep; readiness of the streams.
      poll_oneoff: (subs: number, events: number, count: number, nevents: number) => {
        if (this.ended) throw this.ended
        return pollOneoff(view(), subs, events, count, nevents, {
          clock: this.clock,
          deadline: this.call.deadline,
          readable: (fd) =>
            fd === STDIN && std(fd) ? this.call.stdin.length - this.stdinAt : null,
          writable: (fd) => (fd !== STDIN && std(fd) ? this.stdout.room : null)
        })
      },

      // The process.
      proc_exit: (code: number) => {
        throw (this.ended ??= new WasiExit(code >>> 0))
      },
      proc_raise: () => ERRNO.NOSYS, // no signals in a single-threaded sandbox
      sched_yield: () => ERRNO.SUCCESS // one thread: nothing to yield to
    }
  }

  /**
   * Runs `_start`: returns the outcome on return or proc_exit; rethrows anything else (traps,
   * WasiOutputTooLarge).
   */
  run(start: () => void): WasiOutcome {
    try {
      start()
    } catch (error) {
      if (!(error instanceof WasiExit)) throw error
    }
    if (this.ended instanceof WasiOutputTooLarge) throw this.ended
    return {
      stdout: this.stdout.take(),
      stderr: this.stderr.text(),
      exitCode: this.ended?.code ?? null
    }
  }

  /**
   * What fd 2 holds so far, as run() would report it. For a call that run() rethrew from (a trap:
   * Rust's panic message is written just before its abort), this is the log worth keeping.
   */
  logs(): string {
    return this.stderr.text()
  }

  /** The buffer stdout was written into (its bytes are the outcome's own copy already). */
  get stdoutScratch(): Uint8Array {
    return this.stdout.scratch
  }

  private env(): Strings {
    return (this.environ ??= encodeStrings(
      Object.entries(this.call.env).map(([key, value]) => `${key}=${value}`)
    ))
  }

  private read(view: DataView, fd: number, iovs: number, count: number, nread: number): Errno {
    if (this.ended) throw this.ended
    if (fd !== STDIN || !this.open[STDIN]) return ERRNO.BADF
    const buffers = iovecs(view, iovs, count)
    if (buffers === null || !fits(view, nread, 4)) return ERRNO.FAULT
    const stdin = this.call.stdin
    const from = this.stdinAt
    for (const buffer of buffers) {
      const chunk = stdin.subarray(this.stdinAt, this.stdinAt + buffer.length)
      buffer.set(chunk)
      this.stdinAt += chunk.length
      if (this.stdinAt === stdin.length) break
    }
    view.setUint32(nread >>> 0, this.stdinAt - from, true)
    return ERRNO.SUCCESS
  }

  private write(view: DataView, fd: number, iovs: number, count: number, nwritten: number): Errno {
    if (this.ended) throw this.ended
    if ((fd !== STDOUT && fd !== STDERR) || !this.open[fd]) return ERRNO.BADF
    const buffers = iovecs(view, iovs, count)
    if (buffers === null || !fits(view, nwritten, 4)) return ERRNO.FAULT
    let total = 0
    for (const buffer of buffers) total += buffer.length
    if (total > U32_MAX) return ERRNO.INVAL // the count would not fit its u32
    if (fd === STDOUT) {
      try {
        this.stdout.reserve(total)
      } catch (error) {
        throw (this.ended = error as WasiOutputTooLarge)
      }
      for (const buffer of buffers) this.stdout.append(buffer)
    } else {
      for (const buffer of buffers) this.stderr.append(buffer)
    }
    view.setUint32(nwritten >>> 0, total, true)
    return ERRNO.SUCCESS
  }

  private random(view: DataView, buf: number, len: number): Errno {
    if (!fits(view, buf, len)) return ERRNO.FAULT
    const bytes = new Uint8Array(view.buffer, buf >>> 0, len >>> 0)
    // getRandomValues fills at most 65536 bytes per call.
    for (let at = 0; at < bytes.length; at += 65536) {
      webcrypto.getRandomValues(bytes.subarray(at, at + 65536))
    }
    return ERRNO.SUCCESS
  }

  private fdstat(view: DataView, fd: number, out: number): Errno {
    if (fd < STDIN || fd > STDERR || !this.open[fd]) return ERRNO.BADF
    if (!fits(view, out, LAYOUT.fdstat)) return ERRNO.FAULT
    const at = out >>> 0
    new Uint8Array(view.buffer, at, LAYOUT.fdstat).fill(0)
    view.setUint8(at, FILETYPE_CHARACTER_DEVICE)
    view.setUint16(at + 2, fd === STDIN ? 0 : FDFLAGS.APPEND, true)
    view.setBigUint64(at + 8, STD_RIGHTS, true)
    return ERRNO.SUCCESS // rights_inheriting stays 0: the streams open nothing
  }

  private filestat(view: DataView, fd: number, out: number): Errno {
    if (fd < STDIN || fd > STDERR || !this.open[fd]) return ERRNO.BADF
    if (!fits(view, out, LAYOUT.filestat)) return ERRNO.FAULT
    const at = out >>> 0
    new Uint8Array(view.buffer, at, LAYOUT.filestat).fill(0)
    view.setUint8(at + LAYOUT.filestatFiletype, FILETYPE_CHARACTER_DEVICE)
    return ERRNO.SUCCESS
  }
}
