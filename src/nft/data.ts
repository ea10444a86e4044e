/**
 * The small encodings rules, sets and elements share: verdicts
 * (`NFTA_DATA_VERDICT`), comments in userdata (the TLVs `nft` writes:
 * type 0 a NUL-terminated comment), and family and hook names.
 *
 * @module
 */
import type { AttributeDecoder } from "../attribute.ts";
import type { MessageWriter } from "../writer.ts";
import { A, INET_HOOKS, nameOf, NETDEV_HOOKS, NFPROTO, VERDICT_CODE } from "./spec.ts";
import { NftInputError } from "./errors.ts";
import { attrText } from "./text.ts";
import type { NftFamily, NftHook, Verdict, VerdictName } from "./types.ts";

const FAMILIES: Record<NftFamily, number> = {
  ip: NFPROTO.ipv4,
  ip6: NFPROTO.ipv6,
  inet: NFPROTO.inet,
  arp: NFPROTO.arp,
  bridge: NFPROTO.bridge,
  netdev: NFPROTO.netdev,
};

/**
 * `NFPROTO_*` of a family name; NftInputError for anything else.
 *
 * @example
 * ```ts
 * import { familyNumber } from "./data.ts";
 * familyNumber("family", "ip6"); // 10
 * ```
 */
export function familyNumber(path: string, f: unknown): number {
  if (typeof f === "string" && Object.hasOwn(FAMILIES, f)) return FAMILIES[f as NftFamily];
  throw new NftInputError(
    path,
    `unknown family ${JSON.stringify(f)}; one of ${Object.keys(FAMILIES).join(", ")}`,
  );
}

/**
 * The family name of an `NFPROTO_*` number.
 *
 * @example
 * ```ts
 * import { familyName } from "./data.ts";
 * familyName(1); // "inet"
 * ```
 */
export function familyName(n: number): NftFamily {
  return FAMILY_NAMES.get(n) ?? `${n}` as NftFamily;
}

/** FAMILIES read back (the first name of a number), once: every object decoded asks. */
const FAMILY_NAMES = new Map<number, NftFamily>();
for (const [k, v] of Object.entries(FAMILIES)) {
  if (!FAMILY_NAMES.has(v)) FAMILY_NAMES.set(v, k as NftFamily);
}

/**
 * The hook number of a hook name in a family.
 *
 * @example
 * ```ts
 * import { hookNumber } from "./data.ts";
 * hookNumber("hook", "inet", "postrouting"); // 4
 * ```
 */
export function hookNumber(path: string, family: NftFamily, hook: unknown): number {
  const table: Readonly<Record<string, number>> = family === "netdev" ? NETDEV_HOOKS : INET_HOOKS;
  if (typeof hook === "string" && Object.hasOwn(table, hook)) return table[hook];
  throw new NftInputError(
    path,
    `unknown hook ${JSON.stringify(hook)} for family ${family}; one of ${
      Object.keys(table).join(", ")
    }`,
  );
}

/**
 * The hook name of a number in a family.
 *
 * @example
 * ```ts
 * import { hookName } from "./data.ts";
 * hookName("netdev", 0); // "ingress"
 * ```
 */
export function hookName(family: NftFamily, n: number): NftHook {
  const table = family === "netdev" ? NETDEV_HOOKS : INET_HOOKS;
  return (nameOf(table, n) ?? `${n}`) as NftHook;
}

const VERDICTS: Record<VerdictName, number> = {
  accept: VERDICT_CODE.accept,
  drop: VERDICT_CODE.drop,
  continue: VERDICT_CODE.continue,
  return: VERDICT_CODE.return,
  jump: VERDICT_CODE.jump,
  goto: VERDICT_CODE.goto,
  queue: VERDICT_CODE.queue,
};

/**
 * Writes the attributes of an `NFTA_DATA_VERDICT` nest (opened by the caller's `data` nest).
 *
 * @example
 * ```ts
 * import { MessageWriter } from "../writer.ts";
 * import { encodeVerdict } from "./data.ts";
 * encodeVerdict(new MessageWriter().begin(0), { verdict: "jump", chain: "sub" }, "verdict");
 * ```
 */
export function encodeVerdict(w: MessageWriter, v: Verdict, path: string): void {
  if (typeof v.verdict !== "string" || !Object.hasOwn(VERDICTS, v.verdict)) {
    throw new NftInputError(
      `${path}.verdict`,
      `unknown verdict ${JSON.stringify(v.verdict)}; one of ${Object.keys(VERDICTS).join(", ")}`,
    );
  }
  const jumps = v.verdict === "jump" || v.verdict === "goto";
  if (jumps !== (v.chain !== undefined)) {
    throw new NftInputError(
      `${path}.chain`,
      jumps ? `${v.verdict} needs a chain` : `only jump and goto take a chain`,
    );
  }
  const n = w.nestStart(A.data.verdict);
  w.u32be(A.verdict.code, VERDICTS[v.verdict]);
  if (v.chain !== undefined) {
    if (typeof v.chain !== "string" || v.chain === "") {
      throw new NftInputError(`${path}.chain`, "must be a chain name");
    }
    w.string(A.verdict.chain, v.chain);
  }
  w.nestEnd(n);
}

/**
 * Decodes the attributes of an `NFTA_DATA_VERDICT` nest.
 *
 * @example
 * ```ts ignore
 * import { decodeVerdict } from "./data.ts";
 * declare const nest: import("../attribute.ts").AttributeDecoder;
 * console.log(decodeVerdict(nest).verdict);
 * ```
 */
export function decodeVerdict(ad: AttributeDecoder): Verdict {
  let code = 0;
  let chain: string | undefined;
  while (ad.next()) {
    if (ad.type === A.verdict.code) code = ad.u32be();
    else if (ad.type === A.verdict.chain) chain = attrText(ad);
  }
  const verdict = verdictName(code);
  return chain === undefined ? { verdict } : { verdict, chain };
}

/** VERDICTS read back (the last name of a number), built at the first verdict decoded. */
let verdictNames: Map<number, VerdictName> | undefined;

function verdictName(code: number): VerdictName {
  if (!verdictNames) {
    verdictNames = new Map();
    for (const [k, v] of Object.entries(VERDICTS)) verdictNames.set(v, k as VerdictName);
  }
  return verdictNames.get(code) ?? `${code}` as VerdictName;
}

/** `nft`'s userdata TLV holding a comment (its `NFTNL_UDATA_*_COMMENT`, 0 for every object). */
const UDATA_COMMENT = 0;
const utf8 = new TextEncoder();

/**
 * Userdata holding `comment`, as `nft` writes it.
 *
 * @example
 * ```ts
 * import { commentUserdata } from "./data.ts";
 * commentUserdata("comment", "hi"); // Uint8Array [0, 3, 104, 105, 0]
 * ```
 */
export function commentUserdata(path: string, comment: unknown): Uint8Array {
  if (typeof comment !== "string") throw new NftInputError(path, "must be a string");
  const text = utf8.encode(comment);
  if (text.length > 127) throw new NftInputError(path, "must be at most 127 bytes");
  const out = new Uint8Array(text.length + 3);
  out[0] = UDATA_COMMENT;
  out[1] = text.length + 1;
  out.set(text, 2);
  return out;
}

/**
 * The comment in `nft`-style userdata, if any.
 *
 * @example
 * ```ts
 * import { userdataComment } from "./data.ts";
 * userdataComment(new Uint8Array([0, 3, 104, 105, 0])); // "hi"
 * ```
 */
export function userdataComment(u: Uint8Array): string | undefined {
  for (let i = 0; i + 2 <= u.length;) {
    const type = u[i], len = u[i + 1];
    if (i + 2 + len > u.length) return undefined;
    if (type === UDATA_COMMENT) {
      let end = i + 2 + len;
      while (end > i + 2 && u[end - 1] === 0) end--;
      return new TextDecoder().decode(u.subarray(i + 2, end));
    }
    i += 2 + len;
  }
  return undefined;
}
