/**
 * The Deno backend of {@linkcode Sys}: libc through `Deno.dlopen`.
 *
 * This file and its Node twin are the only places that know about pointers,
 * struct layouts and errno. Layouts are those of 64-bit Linux (x86_64 and
 * aarch64 agree on all of them).
 *
 * @module
 */
import type { Sys } from "./sys.ts";
import { BlockReceiver, buildSys, type Libc, pollBits, POLLIN } from "./linux.ts";

// Deno compiles a fast-call trampoline (Cranelift, ~0.2 ms) for every
// function a Deno.dlopen binds, when it binds it: 27 of them were ~6 ms of a
// CLI call's start-up (issue 20). So only what a socket's traffic calls per
// message is bound that way, at load; the rest is called through
// Deno.UnsafeFnPointer (no trampoline, a slower call, made a few times per
// socket), each found on its first call.

/** Called per message: bound with fast calls, at load. */
const hot = {
  sendto: {
    parameters: ["i32", "buffer", "u32", "i32", "buffer", "u32"],
    result: "i32",
  },
  send: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  recvfrom: {
    parameters: ["i32", "buffer", "u32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
  },
  poll: { parameters: ["buffer", "u32", "i32"], result: "i32", nonblocking: true },
  read: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "u32"], result: "i32" },
} as const;

/** Called a few times per socket (setup, namespaces, tun, BPF): bound on first call. */
const cold = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  setns: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  openMode: { name: "open", parameters: ["buffer", "i32", "u32"], result: "i32" },
  unshare: { parameters: ["i32"], result: "i32" },
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "pointer"], result: "i32" },
  umount2: { parameters: ["buffer", "i32"], result: "i32" },
  mkdir: { parameters: ["buffer", "u32"], result: "i32" },
  unlink: { parameters: ["buffer"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  ioctlValue: { name: "ioctl", parameters: ["i32", "u64", "u64"], result: "i32" },
  syscall: { parameters: ["i64", "i64", "buffer", "u64"], result: "i64" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Cold = typeof cold;
type ColdFns = { [K in keyof Cold]: Deno.UnsafeFnPointer<Cold[K]>["call"] };

/** The cold functions: addresses found at load, each made callable on its first call. */
function coldFns(): ColdFns {
  const names = Object.keys(cold) as (keyof Cold)[];
  // statics of type "pointer" are the symbols' addresses: no trampoline
  const addresses = Deno.dlopen(
    "libc.so.6",
    Object.fromEntries(
      names.map((k) => [k, { name: "name" in cold[k] ? cold[k].name : k, type: "pointer" }]),
    ) as Record<keyof Cold, { name: string; type: "pointer" }>,
  ).symbols;
  const out: Record<string, unknown> = {};
  for (const k of names) {
    let fn: Deno.UnsafeFnPointer<Deno.UnsafeCallbackDefinition> | undefined;
    const definition = cold[k] as Deno.UnsafeCallbackDefinition;
    out[k] = (...args: never[]) =>
      (fn ??= new Deno.UnsafeFnPointer(addresses[k] as Deno.PointerObject<never>, definition))
        .call(...args);
  }
  return out as ColdFns;
}

/** `SYS_bpf` by architecture (asm/unistd_64.h; aarch64's generic table). */
const SYS_BPF = { x86_64: 321n, aarch64: 280n } as const;

function address(bytes: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
}

function cString(text: string): Uint8Array {
  return new TextEncoder().encode(text + "\0");
}

function load(): Sys {
  const raw = { ...Deno.dlopen("libc.so.6", hot).symbols, ...coldFns() };
  const errnoView = new Deno.UnsafePointerView(raw.__errno_location()!);
  const errno = () => errnoView.getInt32();
  const nr = (SYS_BPF as Record<string, bigint>)[Deno.build.arch];
  const libc: Libc = {
    ...raw,
    open: (path: string, flags: number) => raw.open(cString(path), flags),
    openMode: (path: string, flags: number, mode: number) =>
      raw.openMode(cString(path), flags, mode),
    mount: (source: string, target: string, fstype: string, flags: number) =>
      raw.mount(cString(source), cString(target), cString(fstype), BigInt(flags), null),
    umount2: (target: string, flags: number) => raw.umount2(cString(target), flags),
    mkdir: (path: string, mode: number) => raw.mkdir(cString(path), mode),
    unlink: (path: string) => raw.unlink(cString(path)),
    ioctl: (fd: number, request: number, arg: Uint8Array) => raw.ioctl(fd, BigInt(request), arg),
    ioctlValue: (fd: number, request: number, value: number) =>
      raw.ioctlValue(fd, BigInt(request), BigInt(value)),
    // an architecture without a known number: no bpfObjGet
    bpf: nr === undefined
      ? undefined
      : (cmd: number, attr: Uint8Array, size: number) =>
        Number(raw.syscall(nr, BigInt(cmd), attr, BigInt(size))),
  };
  return buildSys(libc, errno, {
    listDir(path) {
      try {
        return [...Deno.readDirSync(path)].map((e) => e.name);
      } catch (e) {
        return e instanceof Deno.errors.NotFound
          ? -2
          : e instanceof Deno.errors.PermissionDenied
          ? -13
          : -5;
      }
    },
    address,
    receiver(capacity, slotSize) {
      return new BlockReceiver(libc, errno, address, capacity, slotSize);
    },
    async wait(fd, wakeFd) {
      // Its own buffer: the poll runs on another thread while JS goes on.
      const fds = new Uint8Array(new ArrayBuffer(16));
      const v = new DataView(fds.buffer);
      v.setInt32(0, fd, true);
      v.setInt16(4, POLLIN, true);
      v.setInt32(8, wakeFd, true);
      v.setInt16(12, POLLIN, true);
      return pollBits(v, await raw.poll(fds, 2, -1));
    },
  });
}

let cached: Sys | undefined;

/**
 * The Deno implementation of {@linkcode Sys}, loaded on first use (so that
 * code which only encodes or decodes messages needs no `--allow-ffi`).
 */
export function loadSys(): Sys {
  return cached ??= load();
}
