/**
 * nf_tables messages for sets and maps, their elements, and flowtables:
 * adding, deleting, flushing. Each function appends one message to a
 * writer; src/nft/batch.ts frames them as a transaction.
 *
 * @module
 */
import { NLM_F } from "../constants.ts";
import type { MessageWriter } from "../writer.ts";
import { A, DATA_TYPES, MSG, SET_ELEM_FLAGS, SET_FLAGS } from "./spec.ts";
import { bits, handle, int, name, object, show } from "./check.ts";
import { commentUserdata, encodeVerdict, familyNumber, hookNumber } from "./data.ts";
import { header } from "./encode.ts";
import { NftInputError } from "./errors.ts";
import type { NftElement, NftFlowtable, NftSet } from "./types.ts";

/** `nft`'s userdata type of a set's comment (`NFTNL_UDATA_SET_COMMENT`); 0 for the rest. */
const SET_UDATA_COMMENT = 7;

/**
 * NFT_MSG_NEWSET; `id` is its transaction id (the kernel asks for one).
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { newSet } from "./encode_sets.ts";
 * newSet(new MessageWriter(), { family: "inet", table: "fw", name: "s", keyType: 7, keyLen: 4 }, 1, 1);
 * ```
 */
export function newSet(w: MessageWriter, s: NftSet, seq: number, id: number, create = false): void {
  object("set", s);
  header(
    w,
    MSG.newSet,
    familyNumber("set.family", s.family),
    NLM_F.CREATE | (create ? NLM_F.EXCL : 0),
    seq,
  );
  w.string(A.set.table, name("set.table", s.table));
  w.string(A.set.name, name("set.name", s.name));
  let flags = bits("set.flags", SET_FLAGS, s.flags);
  if (s.dataType !== undefined) flags |= SET_FLAGS.map;
  if (s.timeout !== undefined) flags |= SET_FLAGS.timeout;
  w.u32be(A.set.flags, flags >>> 0);
  w.u32be(A.set["key-type"], int("set.keyType", s.keyType, 0, 0xffffffff));
  w.u32be(A.set["key-len"], int("set.keyLen", s.keyLen, 1, 64));
  if (s.dataType !== undefined) {
    w.u32be(A.set["data-type"], int("set.dataType", s.dataType, 0, 0xffffffff));
    const verdict = s.dataType === DATA_TYPES.verdict;
    if (!verdict || s.dataLen !== undefined) {
      w.u32be(A.set["data-len"], int("set.dataLen", s.dataLen, 1, 64));
    }
  } else if (s.dataLen !== undefined) {
    throw new NftInputError("set.dataLen", "only a map (with dataType) has one");
  }
  if (s.size !== undefined) {
    const d = w.nestStart(A.set.desc);
    w.u32be(A.setDesc.size, int("set.size", s.size, 1, 0xffffffff));
    w.nestEnd(d);
  }
  w.u32be(A.set.id, id);
  if (s.timeout !== undefined) {
    w.u64be(A.set.timeout, BigInt(int("set.timeout", s.timeout, 1, Number.MAX_SAFE_INTEGER)));
  }
  if (s.gcInterval !== undefined) {
    w.u32be(A.set["gc-interval"], int("set.gcInterval", s.gcInterval, 1, 0xffffffff));
  }
  if (s.comment !== undefined) {
    const u = commentUserdata("set.comment", s.comment);
    u[0] = SET_UDATA_COMMENT;
    w.put(A.set.userdata, u);
  }
}

/**
 * NFT_MSG_DELSET.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { delSet } from "./encode_sets.ts";
 * delSet(new MessageWriter(), { family: "inet", table: "fw", name: "s" }, 1);
 * ```
 */
export function delSet(
  w: MessageWriter,
  s: Pick<NftSet, "family" | "table" | "name" | "handle">,
  seq: number,
): void {
  object("set", s);
  header(w, MSG.delSet, familyNumber("set.family", s.family), 0, seq);
  w.string(A.set.table, name("set.table", s.table));
  if (s.handle !== undefined) w.u64be(A.set.handle, handle("set.handle", s.handle));
  else w.string(A.set.name, name("set.name", s.name));
}

function keyBytes(path: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length === 0 || v.length > 64) {
    throw new NftInputError(path, `must be a Uint8Array of 1-64 bytes, not ${show(v)}`);
  }
  return v;
}

function data(w: MessageWriter, type: number, value: Uint8Array): void {
  const n = w.nestStart(type);
  w.put(A.data.value, value);
  w.nestEnd(n);
}

/**
 * NFT_MSG_NEWSETELEM (or, with `del`, NFT_MSG_DELSETELEM) of `elements`
 * of one set; with no elements and `del`, the set is flushed.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { setElements } from "./encode_sets.ts";
 * const set = { family: "inet", table: "fw", name: "s" } as const;
 * setElements(new MessageWriter(), set, [{ key: new Uint8Array([10, 0, 0, 1]) }], 1);
 * ```
 */
export function setElements(
  w: MessageWriter,
  set: Pick<NftSet, "family" | "table" | "name">,
  elements: readonly NftElement[],
  seq: number,
  del = false,
  path = "elements",
): void {
  object("set", set);
  header(
    w,
    del ? MSG.delSetElem : MSG.newSetElem,
    familyNumber("set.family", set.family),
    del ? 0 : NLM_F.CREATE,
    seq,
  );
  w.string(A.elemList.table, name("set.table", set.table));
  w.string(A.elemList.set, name("set.name", set.name));
  if (!Array.isArray(elements)) throw new NftInputError(path, "must be an array of elements");
  if (elements.length === 0) return;
  const list = w.nestStart(A.elemList.elements);
  elements.forEach((e, i) => {
    const p = `${path}[${i}]`;
    object(p, e);
    const n = w.nestStart(A.elemListElem.elem);
    data(w, A.elem.key, keyBytes(`${p}.key`, e.key));
    if (e.keyEnd !== undefined) data(w, A.elem["key-end"], keyBytes(`${p}.keyEnd`, e.keyEnd));
    if (!del && e.data !== undefined) {
      if (e.data instanceof Uint8Array) data(w, A.elem.data, keyBytes(`${p}.data`, e.data));
      else {
        object(`${p}.data`, e.data);
        const d = w.nestStart(A.elem.data);
        encodeVerdict(w, e.data, `${p}.data`);
        w.nestEnd(d);
      }
    }
    const flags = bits(`${p}.flags`, SET_ELEM_FLAGS, e.flags);
    if (flags) w.u32be(A.elem.flags, flags);
    if (!del && e.timeout !== undefined) {
      w.u64be(A.elem.timeout, BigInt(int(`${p}.timeout`, e.timeout, 1, Number.MAX_SAFE_INTEGER)));
    }
    if (!del && e.comment !== undefined) {
      w.put(A.elem.userdata, commentUserdata(`${p}.comment`, e.comment));
    }
    w.nestEnd(n);
  });
  w.nestEnd(list);
}

/**
 * NFT_MSG_NEWFLOWTABLE.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { newFlowtable } from "./encode_sets.ts";
 * newFlowtable(new MessageWriter(), {
 *   family: "inet", table: "fw", name: "ft", hook: "ingress", devices: ["eth0"],
 * }, 1);
 * ```
 */
export function newFlowtable(w: MessageWriter, f: NftFlowtable, seq: number, create = false): void {
  object("flowtable", f);
  const fam = familyNumber("flowtable.family", f.family);
  header(w, MSG.newFlowtable, fam, NLM_F.CREATE | (create ? NLM_F.EXCL : 0), seq);
  w.string(A.flowtable.table, name("flowtable.table", f.table));
  w.string(A.flowtable.name, name("flowtable.name", f.name));
  const h = w.nestStart(A.flowtable.hook);
  w.u32be(A.flowtableHook.num, hookNumber("flowtable.hook", "netdev", f.hook ?? "ingress"));
  w.u32be(
    A.flowtableHook.priority,
    int("flowtable.priority", f.priority ?? 0, -0x80000000, 0x7fffffff) >>> 0,
  );
  if (f.devices !== undefined) {
    if (!Array.isArray(f.devices)) {
      throw new NftInputError("flowtable.devices", "must be an array of names");
    }
    const d = w.nestStart(A.flowtableHook.devs);
    f.devices.forEach((dev, i) => w.string(A.hookDevs.name, name(`flowtable.devices[${i}]`, dev)));
    w.nestEnd(d);
  }
  w.nestEnd(h);
  if (f.flags !== undefined) {
    w.u32be(A.flowtable.flags, int("flowtable.flags", f.flags, 0, 0xffffffff));
  }
}

/**
 * NFT_MSG_DELFLOWTABLE.
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { delFlowtable } from "./encode_sets.ts";
 * delFlowtable(new MessageWriter(), { family: "inet", table: "fw", name: "ft" }, 1);
 * ```
 */
export function delFlowtable(
  w: MessageWriter,
  f: Pick<NftFlowtable, "family" | "table" | "name" | "handle">,
  seq: number,
): void {
  object("flowtable", f);
  header(w, MSG.delFlowtable, familyNumber("flowtable.family", f.family), 0, seq);
  w.string(A.flowtable.table, name("flowtable.table", f.table));
  if (f.handle !== undefined) w.u64be(A.flowtable.handle, handle("flowtable.handle", f.handle));
  else w.string(A.flowtable.name, name("flowtable.name", f.name));
}
