/**
 * Decoding nf_tables messages (dump replies and events) into the typed
 * objects of src/nft/types.ts.
 *
 * @module
 */
import { AttributeDecoder } from "../attribute.ts";
import { ParseError } from "../errors.ts";
import type { Message } from "../message.ts";
import {
  A,
  flagNames,
  MSG,
  nameOf,
  SET_ELEM_FLAGS,
  SET_FLAGS,
  TABLE_FLAGS,
  VERDICT_CODE,
} from "./spec.ts";
import { decodeExpr } from "./expr_decode.ts";
import { attrText } from "./text.ts";
import type { Expr } from "./expr_types.ts";
import { decodeVerdict, familyName, hookName, userdataComment } from "./data.ts";
import type {
  NftChain,
  NftElement,
  NftFamily,
  NftFlowtable,
  NftRule,
  NftSet,
  NftTable,
} from "./types.ts";

/**
 * The message's family (`struct nfgenmsg`) and a decoder over its attributes.
 *
 * @example
 * ```ts ignore
 * import { body } from "./decode.ts";
 * declare const m: import("../message.ts").Message;
 * const { family, ad } = body(m);
 * ```
 */
export function body(m: Message): { family: NftFamily; ad: AttributeDecoder } {
  if (m.length - m.headerSize < 4) throw new ParseError("shorter than struct nfgenmsg", m.offset);
  return { family: familyName(m.data[m.offset + m.headerSize]), ad: m.attributes(4) };
}

/**
 * A table message (NFT_MSG_NEWTABLE / DELTABLE).
 *
 * @example
 * ```ts ignore
 * import { decodeTable } from "./decode.ts";
 * declare const m: import("../message.ts").Message;
 * console.log(decodeTable(m).name);
 * ```
 */
export function decodeTable(m: Message): NftTable {
  const { family, ad } = body(m);
  const t: NftTable = { family, name: "" };
  while (ad.next()) {
    switch (ad.type) {
      case A.table.name:
        t.name = ad.string();
        break;
      case A.table.flags:
        {
          const f = flagNames(TABLE_FLAGS, ad.u32be());
          if (f.length) t.flags = f;
        }
        break;
      case A.table.handle:
        t.handle = ad.u64be();
        break;
      case A.table.use:
        t.use = ad.u32be();
        break;
      case A.table.userdata: {
        const c = userdataComment(ad.value());
        if (c !== undefined) t.comment = c;
        break;
      }
    }
  }
  return t;
}

/**
 * A chain message.
 *
 * @example
 * ```ts ignore
 * import { decodeChain } from "./decode.ts";
 * declare const m: import("../message.ts").Message;
 * console.log(decodeChain(m).hook);
 * ```
 */
export function decodeChain(m: Message): NftChain {
  const { family, ad } = body(m);
  const c: NftChain = { family, table: "", name: "" };
  while (ad.next()) {
    switch (ad.type) {
      case A.chain.table:
        c.table = ad.string();
        break;
      case A.chain.name:
        c.name = ad.string();
        break;
      case A.chain.handle:
        c.handle = ad.u64be();
        break;
      case A.chain.hook: {
        const h = ad.nested();
        while (h.next()) {
          if (h.type === A.hook.num) c.hook = hookName(family, h.u32be());
          else if (h.type === A.hook.priority) c.priority = h.u32be() | 0;
          else if (h.type === A.hook.dev) c.device = h.string();
        }
        break;
      }
      case A.chain.policy: {
        const p = ad.u32be();
        c.policy = p === VERDICT_CODE.drop ? "drop" : "accept";
        break;
      }
      case A.chain.type:
        c.type = ad.string() as NftChain["type"];
        break;
      case A.chain.userdata: {
        const cm = userdataComment(ad.value());
        if (cm !== undefined) c.comment = cm;
        break;
      }
    }
  }
  return c;
}

/**
 * A rule message.
 *
 * @example
 * ```ts ignore
 * import { decodeRule } from "./decode.ts";
 * declare const m: import("../message.ts").Message;
 * console.log(decodeRule(m).exprs);
 * ```
 */
export function decodeRule(m: Message): NftRule {
  const { family, ad } = body(m);
  const r: NftRule = { family, table: "", chain: "", exprs: [] };
  while (ad.next()) {
    switch (ad.type) {
      case A.rule.table:
        r.table = attrText(ad);
        break;
      case A.rule.chain:
        r.chain = attrText(ad);
        break;
      case A.rule.handle:
        r.handle = ad.u64be();
        break;
      case A.rule.position:
        r.position = ad.u64be();
        break;
      case A.rule.expressions: {
        // one copy for the whole list: each expression's values are views of it
        const v = ad.value().slice();
        const list = new AttributeDecoder(v);
        const exprs: Expr[] = [];
        while (list.next()) {
          if (list.type === A.exprList.elem) {
            exprs.push(decodeExpr(v, list.offset, list.offset + list.length));
          }
        }
        r.exprs = exprs;
        break;
      }
      case A.rule.userdata: {
        const c = userdataComment(ad.value());
        if (c !== undefined) r.comment = c;
        break;
      }
    }
  }
  return r;
}

/** `nft`'s userdata type of a set's comment (`NFTNL_UDATA_SET_COMMENT`). */
const SET_UDATA_COMMENT = 7;

function setComment(u: Uint8Array): string | undefined {
  for (let i = 0; i + 2 <= u.length; i += 2 + u[i + 1]) {
    if (u[i] === SET_UDATA_COMMENT) {
      const copy = u.slice(i, i + 2 + u[i + 1]);
      copy[0] = 0;
      return userdataComment(copy);
    }
  }
  return undefined;
}

/**
 * A set message.
 *
 * @example
 * ```ts ignore
 * import { decodeSet } from "./decode.ts";
 * declare const m: import("../message.ts").Message;
 * console.log(decodeSet(m).keyType);
 * ```
 */
export function decodeSet(m: Message): NftSet {
  const { family, ad } = body(m);
  const s: NftSet = { family, table: "", name: "", keyType: 0, keyLen: 0 };
  while (ad.next()) {
    switch (ad.type) {
      case A.set.table:
        s.table = ad.string();
        break;
      case A.set.name:
        s.name = ad.string();
        break;
      case A.set.handle:
        s.handle = ad.u64be();
        break;
      case A.set.flags:
        {
          const f = flagNames(SET_FLAGS, ad.u32be());
          if (f.length) s.flags = f;
        }
        break;
      case A.set["key-type"]:
        s.keyType = ad.u32be();
        break;
      case A.set["key-len"]:
        s.keyLen = ad.u32be();
        break;
      case A.set["data-type"]:
        s.dataType = ad.u32be();
        break;
      case A.set["data-len"]:
        s.dataLen = ad.u32be();
        break;
      case A.set.timeout:
        s.timeout = Number(ad.u64be());
        break;
      case A.set["gc-interval"]:
        s.gcInterval = ad.u32be();
        break;
      case A.set.desc: {
        const d = ad.nested();
        while (d.next()) if (d.type === A.setDesc.size) s.size = d.u32be();
        break;
      }
      case A.set.userdata: {
        const c = setComment(ad.value());
        if (c !== undefined) s.comment = c;
        break;
      }
    }
  }
  return s;
}

function dataBytes(ad: AttributeDecoder): Uint8Array {
  const n = ad.nested();
  while (n.next()) if (n.type === A.data.value) return n.value().slice();
  return new Uint8Array(0);
}

/**
 * A set element message: the set it belongs to and its elements.
 *
 * @example
 * ```ts ignore
 * import { decodeElements } from "./decode.ts";
 * declare const m: import("../message.ts").Message;
 * console.log(decodeElements(m).elements.length);
 * ```
 */
export function decodeElements(
  m: Message,
): { family: NftFamily; table: string; set: string; elements: NftElement[] } {
  const { family, ad } = body(m);
  const out = { family, table: "", set: "", elements: [] as NftElement[] };
  while (ad.next()) {
    if (ad.type === A.elemList.table) out.table = ad.string();
    else if (ad.type === A.elemList.set) out.set = ad.string();
    else if (ad.type === A.elemList.elements) {
      const list = ad.nested();
      while (list.next()) {
        if (list.type !== A.elemListElem.elem) continue;
        const e = list.nested();
        const el: NftElement = { key: new Uint8Array(0) };
        while (e.next()) {
          switch (e.type) {
            case A.elem.key:
              el.key = dataBytes(e);
              break;
            case A.elem["key-end"]:
              el.keyEnd = dataBytes(e);
              break;
            case A.elem.data: {
              const d = e.nested();
              while (d.next()) {
                if (d.type === A.data.value) el.data = d.value().slice();
                else if (d.type === A.data.verdict) el.data = decodeVerdict(d.nested());
              }
              break;
            }
            case A.elem.flags: {
              const f = flagNames(SET_ELEM_FLAGS, e.u32be());
              if (f.length) el.flags = f;
              break;
            }
            case A.elem.timeout:
              el.timeout = Number(e.u64be());
              break;
            case A.elem.expiration:
              el.expiration = Number(e.u64be());
              break;
            case A.elem.userdata: {
              const c = userdataComment(e.value());
              if (c !== undefined) el.comment = c;
              break;
            }
          }
        }
        out.elements.push(el);
      }
    }
  }
  return out;
}

/**
 * A flowtable message.
 *
 * @example
 * ```ts ignore
 * import { decodeFlowtable } from "./decode.ts";
 * declare const m: import("../message.ts").Message;
 * console.log(decodeFlowtable(m).devices);
 * ```
 */
export function decodeFlowtable(m: Message): NftFlowtable {
  const { family, ad } = body(m);
  const f: NftFlowtable = { family, table: "", name: "" };
  while (ad.next()) {
    switch (ad.type) {
      case A.flowtable.table:
        f.table = ad.string();
        break;
      case A.flowtable.name:
        f.name = ad.string();
        break;
      case A.flowtable.handle:
        f.handle = ad.u64be();
        break;
      case A.flowtable.flags:
        f.flags = ad.u32be();
        break;
      case A.flowtable.hook: {
        const h = ad.nested();
        while (h.next()) {
          if (h.type === A.flowtableHook.num) f.hook = hookName("netdev", h.u32be()) as "ingress";
          else if (h.type === A.flowtableHook.priority) f.priority = h.u32be() | 0;
          else if (h.type === A.flowtableHook.devs) {
            const d = h.nested();
            f.devices = [];
            while (d.next()) if (d.type === A.hookDevs.name) f.devices.push(d.string());
          }
        }
        break;
      }
    }
  }
  return f;
}

/**
 * The generation id of an NFT_MSG_NEWGEN message.
 *
 * @example
 * ```ts ignore
 * import { decodeGen } from "./decode.ts";
 * declare const m: import("../message.ts").Message;
 * console.log(decodeGen(m).id);
 * ```
 */
export function decodeGen(m: Message): { id: number; pid?: number; name?: string } {
  const { ad } = body(m);
  const g: { id: number; pid?: number; name?: string } = { id: 0 };
  while (ad.next()) {
    if (ad.type === A.gen.id) g.id = ad.u32be();
    else if (ad.type === A.gen["proc-pid"]) g.pid = ad.u32be();
    else if (ad.type === A.gen["proc-name"]) g.name = ad.string();
  }
  return g;
}

/**
 * The name of a message type (`newrule`, `delset`, ...), for events.
 *
 * @example
 * ```ts
 * import { messageName } from "./decode.ts";
 * import { MSG } from "./spec.ts";
 * messageName(MSG.newRule); // "newRule"
 * ```
 */
export function messageName(type: number): string | undefined {
  const n = nameOf(MSG, type);
  return n;
}
