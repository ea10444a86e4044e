/**
 * The Node and Bun backend of {@linkcode Sys}: libc through koffi.
 *
 * The twin of `ffi/deno.ts`, with the same design and the same struct
 * layouts (64-bit Linux; x86_64 and aarch64 agree on all of them): every
 * call is synchronous on the JS thread, errno is read right after it, and
 * only {@linkcode Sys.wait} is asynchronous. The npm build maps
 * `ffi/deno.ts` to this file; nothing in `src/` changes.
 *
 * How `wait` runs differs by runtime:
 * - Node: a libuv poll handle on the event loop (`koffi.node.poll`) for the
 *   socket and one for the eventfd. No thread is held while waiting, so any
 *   number of sockets can wait at once without starving libuv's 4-thread
 *   pool (fs, dns, crypto, zlib), and the handles are closed as soon as one
 *   fires, so nothing keeps the process alive after the socket layer's
 *   wake-then-close.
 * - Bun (which has no `uv_poll`): `poll(2)` through koffi's async call on a
 *   worker thread, as Deno does with `nonblocking: true`.
 *
 * @module
 */
import process from "node:process";
import koffi from "koffi";
import { readdirSync } from "node:fs";
import type { Sys } from "./sys.ts";
import { BlockReceiver, buildSys, type Libc as LibcCalls, pollBits, POLLIN } from "./linux.ts";

const POLL_SLICE_MS = 100;

// Prototypes use the C types of glibc's declarations for every argument
// (a `size_t` is passed as a full 64-bit register); results of `ssize_t`
// calls are read as `int`, which is exact for every value they return here.
const prototypes = {
  socket: "int socket(int, int, int)",
  bind: "int bind(int, void *, uint32_t)",
  connect: "int connect(int, void *, uint32_t)",
  getsockname: "int getsockname(int, void *, void *)",
  setsockopt: "int setsockopt(int, int, int, void *, uint32_t)",
  getsockopt: "int getsockopt(int, int, int, void *, void *)",
  sendto: "int sendto(int, void *, size_t, int, void *, uint32_t)",
  recvfrom: "int recvfrom(int, void *, size_t, int, void *, void *)",
  send: "int send(int, void *, size_t, int)",
  recv: "int recv(int, void *, size_t, int)",
  // The receives with addresses as numbers: what the receiver calls (see Libc.recvfromAt).
  recvfromAt: "int recvfrom(int, uintptr_t, size_t, int, uintptr_t, uintptr_t)",
  recvAt: "int recv(int, uintptr_t, size_t, int)",
  recvmmsg: "int recvmmsg(int, void *, unsigned int, int, void *)",
  poll: "int poll(void *, unsigned long, int)",
  eventfd: "int eventfd(unsigned int, int)",
  read: "int read(int, void *, size_t)",
  write: "int write(int, void *, size_t)",
  open: "int open(const char *, int)",
  setns: "int setns(int, int)",
  close: "int close(int)",
  openMode: "int open(const char *, int, unsigned int)",
  unshare: "int unshare(int)",
  mount: "int mount(const char *, const char *, const char *, unsigned long, void *)",
  umount2: "int umount2(const char *, int)",
  mkdir: "int mkdir(const char *, unsigned int)",
  unlink: "int unlink(const char *)",
  // variadic in C; on x86_64 and aarch64 Linux the third argument goes as a fixed one would
  ioctl: "int ioctl(int, unsigned long, void *)",
  ioctlValue: "int ioctl(int, unsigned long, unsigned long)",
  syscall: "long syscall(long, long, void *, unsigned long)",
} as const;

/** `SYS_bpf` by architecture (asm/unistd_64.h; aarch64's generic table). */
const SYS_BPF: Record<string, number> = { x64: 321, arm64: 280 };

type Fn = (...args: unknown[]) => number;
type AsyncFn = Fn & {
  async: (...args: unknown[]) => void;
};
type Libc = { -readonly [K in keyof typeof prototypes]: AsyncFn };

/** The koffi surface this file uses, typed loosely enough for any version. */
interface Koffi {
  load(path: string): { func(definition: string): unknown };
  address(value: unknown): bigint;
  errno(): number;
  node?: {
    poll?(
      fd: number,
      options: { readable: boolean },
      callback: (status: number, events?: unknown) => void,
    ): { close(): void } | null;
  };
}

const ffi = koffi as unknown as Koffi;

/** True on Bun, whose N-API has no `uv_poll` (it aborts the process). */
function isBun(): boolean {
  return (globalThis as { Bun?: unknown }).Bun !== undefined;
}

function load(): Sys {
  const lib = ffi.load("libc.so.6");
  // Made at once: an object given 20 properties one keyed store at a time
  // turns into a dictionary, and every call would look its function up by
  // hash.
  const libc = Object.fromEntries(
    Object.entries(prototypes).map(([name, proto]) => [name, lib.func(proto)]),
  ) as Libc;
  const errno = () => ffi.errno();
  const pollFds = new Uint8Array(new ArrayBuffer(16));
  const pollView = new DataView(pollFds.buffer);

  function setPollFds(v: DataView, fd: number, wakeFd: number): void {
    v.setInt32(0, fd, true);
    v.setInt16(4, POLLIN, true);
    v.setInt16(6, 0, true);
    v.setInt32(8, wakeFd, true);
    v.setInt16(12, POLLIN, true);
    v.setInt16(14, 0, true);
  }

  /**
   * poll([fd, wakeFd]) on a worker thread: Bun's path. The pool is small
   * and shared by every pending wait, so each blocking poll lasts at most
   * POLL_SLICE_MS and is then queued again: many sockets waiting at once
   * take turns instead of starving each other.
   */
  function waitOnThread(fd: number, wakeFd: number): Promise<number> {
    setPollFds(pollView, fd, wakeFd);
    const ready = libc.poll(pollFds, 2, 0);
    if (ready !== 0) return Promise.resolve(pollBits(pollView, ready));
    // Its own buffer: the poll runs on another thread while JS goes on.
    const v = new DataView(new ArrayBuffer(16));
    return new Promise((resolve) => {
      const slice = () => {
        setPollFds(v, fd, wakeFd);
        libc.poll.async(v.buffer, 2, POLL_SLICE_MS, (err: unknown, n: number) => {
          if (err || n !== 0) resolve(err ? 0 : pollBits(v, n));
          else slice();
        });
      };
      slice();
    });
  }

  const uvPoll = isBun() ? undefined : ffi.node?.poll;

  /** Two libuv poll handles on the event loop: Node's path. */
  function waitOnLoop(fd: number, wakeFd: number): Promise<number> {
    // First a poll(2) that does not block: it answers at once when either
    // fd is ready, and like the Deno backend it reports a bad descriptor
    // (POLLNVAL) as 0. koffi must never see a bad fd: its poll handle
    // aborts the process when libuv refuses one.
    setPollFds(pollView, fd, wakeFd);
    const n = libc.poll(pollFds, 2, 0);
    if (n !== 0) return Promise.resolve(pollBits(pollView, n));
    const poll = uvPoll!;
    return new Promise((resolve) => {
      type Handle = { close(): void } | null;
      let a: Handle = null;
      let b: Handle = null;
      let done = false;
      // Closing both handles at the first event also unregisters both fds
      // from epoll at once, so the socket layer may close them right after.
      const finish = (bits: number) => {
        if (done) return;
        done = true;
        a?.close();
        b?.close();
        resolve(bits);
      };
      // A negative status is libuv's report of POLLERR (e.g. ENOBUFS
      // pending on the socket): the socket then counts as readable, so
      // that the next receive returns the error.
      a = poll(fd, { readable: true }, () => finish(1));
      b = poll(
        wakeFd,
        { readable: true },
        (status) => finish(status < 0 ? 0 : 2),
      );
      if (!a || !b) finish(0);
    });
  }

  const calls = {
    ...libc,
    // an architecture without a known number: no bpfObjGet
    bpf: SYS_BPF[process.arch] === undefined
      ? undefined
      : (cmd: number, attr: Uint8Array, size: number) =>
        Number(libc.syscall(SYS_BPF[process.arch], cmd, attr, size)),
  } as unknown as LibcCalls;
  return buildSys(calls, errno, {
    listDir(path) {
      try {
        return readdirSync(path);
      } catch (e) {
        const code = (e as { code?: string }).code;
        return code === "ENOENT" ? -2 : code === "EACCES" ? -13 : code === "ENOTDIR" ? -20 : -5;
      }
    },
    address: (bytes) => ffi.address(bytes),
    receiver(capacity, slotSize) {
      return new BlockReceiver(
        libc as unknown as LibcCalls,
        errno,
        (bytes) => ffi.address(bytes),
        capacity,
        slotSize,
      );
    },
    wait(fd, wakeFd) {
      return uvPoll ? waitOnLoop(fd, wakeFd) : waitOnThread(fd, wakeFd);
    },
  });
}

let cached: Sys | undefined;

/**
 * The Node/Bun implementation of {@linkcode Sys}. libc is opened on first
 * use; koffi's native module itself is loaded when this module is imported.
 */
export function loadSys(): Sys {
  return cached ??= load();
}
