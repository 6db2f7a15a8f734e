import type { FuncType } from '../../wasm/module.js'

/**
 * The `wasi_snapshot_preview1` ABI as the host needs it: every function's Wasm signature, and the
 * errno, type and layout constants of the witx (wasi_snapshot_preview1.witx; checked against
 * wasi-libc's generated `__wasilibc_real.c`, whose `__imported_wasi_snapshot_preview1_*`
 * declarations are the lowered Wasm types, and against the `wasi` crate's `lib_generated.rs`).
 */

/** The import module every preview1 function comes from. */
export const WASI_MODULE = 'wasi_snapshot_preview1'

/** A function returning an errno (u16, widened to i32 by the canonical lowering). */
function errno(...params: Array<'i32' | 'i64'>): FuncType {
  return { params, results: ['i32'] }
}

const I32 = 'i32'
const I64 = 'i64' // timestamps, file sizes and deltas, rights, directory cookies

/**
 * Every preview1 function with its exact Wasm signature: the deploy-time policy checks a WASI
 * module's imports against this table. It includes `proc_raise` (in the witx and wasi crate 0.10;
 * wasi-libc no longer imports it) and `sock_accept` (added to the witx later), so a module built
 * by any toolchain version links.
 */
export const WASI_IMPORTS: Record<string, FuncType> = {
  args_get: errno(I32, I32),
  args_sizes_get: errno(I32, I32),
  environ_get: errno(I32, I32),
  environ_sizes_get: errno(I32, I32),
  clock_res_get: errno(I32, I32),
  clock_time_get: errno(I32, I64, I32),
  fd_advise: errno(I32, I64, I64, I32),
  fd_allocate: errno(I32, I64, I64),
  fd_close: errno(I32),
  fd_datasync: errno(I32),
  fd_fdstat_get: errno(I32, I32),
  fd_fdstat_set_flags: errno(I32, I32),
  fd_fdstat_set_rights: errno(I32, I64, I64),
  fd_filestat_get: errno(I32, I32),
  fd_filestat_set_size: errno(I32, I64),
  fd_filestat_set_times: errno(I32, I64, I64, I32),
  fd_pread: errno(I32, I32, I32, I64, I32),
  fd_prestat_get: errno(I32, I32),
  fd_prestat_dir_name: errno(I32, I32, I32),
  fd_pwrite: errno(I32, I32, I32, I64, I32),
  fd_read: errno(I32, I32, I32, I32),
  fd_readdir: errno(I32, I32, I32, I64, I32),
  fd_renumber: errno(I32, I32),
  fd_seek: errno(I32, I64, I32, I32),
  fd_sync: errno(I32),
  fd_tell: errno(I32, I32),
  fd_write: errno(I32, I32, I32, I32),
  path_create_directory: errno(I32, I32, I32),
  path_filestat_get: errno(I32, I32, I32, I32, I32),
  path_filestat_set_times: errno(I32, I32, I32, I32, I64, I64, I32),
  path_link: errno(I32, I32, I32, I32, I32, I32, I32),
  path_open: errno(I32, I32, I32, I32, I32, I64, I64, I32, I32),
  path_readlink: errno(I32, I32, I32, I32, I32, I32),
  path_remove_directory: errno(I32, I32, I32),
  path_rename: errno(I32, I32, I32, I32, I32, I32),
  path_symlink: errno(I32, I32, I32, I32, I32),
  path_unlink_file: errno(I32, I32, I32),
  poll_oneoff: errno(I32, I32, I32, I32),
  proc_exit: { params: [I32], results: [] },
  proc_raise: errno(I32),
  sched_yield: errno(),
  random_get: errno(I32, I32),
  sock_accept: errno(I32, I32, I32),
  sock_recv: errno(I32, I32, I32, I32, I32, I32),
  sock_send: errno(I32, I32, I32, I32, I32),
  sock_shutdown: errno(I32, I32)
}

/** The errno values this host returns (the witx `errno` enum). */
export const ERRNO = {
  SUCCESS: 0,
  BADF: 8,
  FAULT: 21,
  INVAL: 28,
  NOSYS: 52,
  NOTSOCK: 57,
  NOTSUP: 58,
  SPIPE: 70,
  NOTCAPABLE: 76
} as const

/** `filetype`: the standard streams are character devices. */
export const FILETYPE_CHARACTER_DEVICE = 2

/** `fdflags`. */
export const FDFLAGS = { APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16 } as const

/** `clockid`. */
export const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME: 2, THREAD_CPUTIME: 3 } as const

/** `eventtype`, the tag of a subscription and the type of an event. */
export const EVENTTYPE = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const

/** `subclockflags`: the timeout is an absolute time on its clock rather than relative to now. */
export const SUBCLOCK_ABSTIME = 1

/** `eventrwflags`: the peer hung up (stdin is at its end). */
export const EVENTRW_HANGUP = 1

/**
 * The rights of a standard stream: the `fd_*` rights a stream can have (datasync, read, seek,
 * fdstat_set_flags, sync, tell, write, advise, allocate: bits 0-8; filestat_get/set_size/set_times:
 * 21-23) and poll_fd_readwrite (27); no `path_*`, `sock_*` or readdir right. FD_SEEK and FD_TELL
 * are there on purpose: wasi-libc's isatty() says "terminal" only for a character device without
 * them, and these streams are pipes to the platform, so stdout stays fully buffered (one fd_write
 * per 1 KiB rather than per line) as a Lambda's would. Seeking still fails with ESPIPE, as on a
 * pipe.
 */
export const STD_RIGHTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 21, 22, 23, 27].reduce(
  (rights, bit) => rights | (1n << BigInt(bit)),
  0n
)

/** Byte sizes and field offsets of the witx structs the host reads or writes. */
export const LAYOUT = {
  /** `iovec` / `ciovec`: buf u32 @0, buf_len u32 @4. */
  iovec: 8,
  /** `fdstat`: fs_filetype u8 @0, fs_flags u16 @2, rights base u64 @8, inheriting u64 @16. */
  fdstat: 24,
  /** `filestat`: dev, ino u64, filetype u8 @16, nlink, size, atim, mtim, ctim u64. */
  filestat: 64,
  filestatFiletype: 16,
  /** `subscription`: userdata u64 @0, tag u8 @8, then the clock or fd_readwrite body @16. */
  subscription: 48,
  subscriptionTag: 8,
  /** `subscription_clock`: id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40. */
  clockId: 16,
  clockTimeout: 24,
  clockFlags: 40,
  /** `subscription_fd_readwrite`: file_descriptor u32 @16. */
  subscriptionFd: 16,
  /** `event`: userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24. */
  event: 32,
  eventError: 8,
  eventType: 10,
  eventNbytes: 16,
  eventFlags: 24
} as const
