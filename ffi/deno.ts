/**
 * The Deno backend of {@linkcode Sys}: libc through `Deno.dlopen`.
 *
 * This file and its Node twin are the only places that know about pointers,
 * struct layouts and errno. Layouts are those of 64-bit Linux (x86_64 and
 * aarch64 agree on all of them).
 *
 * @module
 */
import type { Receiver, Sys } from "./sys.ts";
import {
  buildSys,
  IOVEC,
  type Libc,
  MMSGHDR,
  MSG_DONTWAIT,
  MSG_TRUNC,
  pollBits,
  POLLIN,
  readResults,
  SOCKADDR_NL,
} from "./linux.ts";

const symbols = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  sendto: {
    parameters: ["i32", "buffer", "u32", "i32", "buffer", "u32"],
    result: "i32",
  },
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
  },
  poll: { parameters: ["buffer", "u32", "i32"], result: "i32", nonblocking: true },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  setns: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Symbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

function address(bytes: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
}

function cString(text: string): Uint8Array {
  return new TextEncoder().encode(text + "\0");
}

class DenoReceiver implements Receiver {
  readonly slots: Uint8Array[] = [];
  readonly meta: Uint32Array;
  readonly #headers: Uint8Array;
  readonly #view: DataView;
  readonly #names: number;
  readonly #libc: Symbols;
  readonly #errno: () => number;
  readonly capacity: number;
  readonly slotSize: number;

  constructor(
    libc: Symbols,
    errno: () => number,
    capacity: number,
    slotSize: number,
  ) {
    this.capacity = capacity;
    this.slotSize = slotSize;
    this.#libc = libc;
    this.#errno = errno;
    this.meta = new Uint32Array(capacity * 4);
    // One block: [mmsghdr x n][iovec x n][sockaddr_nl x n] then the slots.
    const iovs = capacity * MMSGHDR;
    this.#names = iovs + capacity * IOVEC;
    const data = (this.#names + capacity * 16 + 63) & ~63;
    const block = new Uint8Array(data + capacity * slotSize);
    this.#headers = block;
    this.#view = new DataView(block.buffer);
    const base = address(block);
    for (let i = 0; i < capacity; i++) {
      const h = i * MMSGHDR;
      const iov = iovs + i * IOVEC;
      const name = this.#names + i * 16;
      const slot = data + i * slotSize;
      this.slots.push(block.subarray(slot, slot + slotSize));
      this.#view.setBigUint64(h, base + BigInt(name), true); // msg_name
      this.#view.setUint32(h + 8, SOCKADDR_NL, true); // msg_namelen
      this.#view.setBigUint64(h + 16, base + BigInt(iov), true); // msg_iov
      this.#view.setBigUint64(h + 24, 1n, true); // msg_iovlen
      this.#view.setBigUint64(iov, base + BigInt(slot), true); // iov_base
      this.#view.setBigUint64(iov + 8, BigInt(slotSize), true); // iov_len
    }
  }

  receive(fd: number): number {
    const n = this.#libc.recvmmsg(
      fd,
      this.#headers,
      this.capacity,
      MSG_DONTWAIT | MSG_TRUNC,
      null,
    );
    if (n < 0) return -this.#errno();
    readResults(this.#view, this.#names, n, this.meta);
    return n;
  }
}

function load(): Sys {
  const raw = Deno.dlopen("libc.so.6", symbols).symbols;
  const errnoView = new Deno.UnsafePointerView(raw.__errno_location()!);
  const errno = () => errnoView.getInt32();
  const libc: Libc = {
    ...raw,
    open: (path: string, flags: number) => raw.open(cString(path), flags),
  };
  return buildSys(libc, errno, {
    receiver(capacity, slotSize) {
      return new DenoReceiver(raw, errno, capacity, slotSize);
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
