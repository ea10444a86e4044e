/**
 * Values as the kernel's Python ynl library returns them, and their two
 * printed forms: `json.dumps` (what `cli.py --output-json` prints) and
 * Python's `repr` (what its error messages and plain output use). A flag
 * set is a {@linkcode PySet}, a dict keyed by integers (an indexed array's
 * entries) a `Map`, bytes a `Uint8Array`, 64-bit integers a `bigint`.
 *
 * @module
 */

/**
 * A Python `set` of flag names: `json.dumps` prints it sorted (cli.py's
 * encoder), `repr` in the order given.
 *
 * @example
 * ```ts
 * import { pyJson, PySet } from "./pyvalue.ts";
 * pyJson(new PySet(["up", "broadcast"])); // '["broadcast", "up"]'
 * ```
 */
export class PySet {
  /** Builds the set from its members. */
  constructor(readonly items: readonly string[]) {}
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");

/** `bytes.hex(b)`. */
function bytesHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += hex2(x);
  return s;
}

/** A string as Python's `json.dumps` (ensure_ascii) writes it. */
function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * `json.dumps(value, cls=YnlEncoder)` as cli.py's `--output-json` prints
 * it: `", "` and `": "` separators, non-ASCII escaped, bytes as hex, sets
 * sorted.
 *
 * @example
 * ```ts
 * import { pyJson } from "./pyvalue.ts";
 * pyJson({ ifname: "lo", mtu: 65536 }); // '{"ifname": "lo", "mtu": 65536}'
 * ```
 */
export function pyJson(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return jsonString(v);
  if (v instanceof Uint8Array) return jsonString(bytesHex(v));
  if (v instanceof PySet) return pyJson([...v.items].sort());
  if (Array.isArray(v)) return `[${v.map(pyJson).join(", ")}]`;
  if (v instanceof Map) {
    return `{${[...v].map(([k, x]) => `${jsonString(String(k))}: ${pyJson(x)}`).join(", ")}}`;
  }
  return `{${
    Object.entries(v as Record<string, unknown>).map(([k, x]) => `${jsonString(k)}: ${pyJson(x)}`)
      .join(", ")
  }}`;
}

/** A string as Python's `repr` writes it. */
function reprString(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === q || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\x${hex2(c)}`;
    else out += ch;
  }
  return out + q;
}

/** Bytes as Python's `repr` writes them: `b'\x00ab'`. */
function reprBytes(b: Uint8Array): string {
  const hasSingle = b.includes(0x27), hasDouble = b.includes(0x22);
  const q = hasSingle && !hasDouble ? '"' : "'";
  let out = `b${q}`;
  for (const c of b) {
    const ch = String.fromCharCode(c);
    if (ch === q || ch === "\\") out += `\\${ch}`;
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c < 0x20 || c >= 0x7f) out += `\\x${hex2(c)}`;
    else out += ch;
  }
  return out + q;
}

/**
 * Python's `repr` of a value (dicts in their order, as `str(dict)` prints
 * them; `pprint` sorts, see {@linkcode pyPrettyPrint}).
 *
 * @example
 * ```ts
 * import { pyRepr } from "./pyvalue.ts";
 * pyRepr({ "bad-attr": ".ifname", ok: true }); // "{'bad-attr': '.ifname', 'ok': True}"
 * ```
 */
export function pyRepr(v: unknown, sortDicts = false): string {
  const r = (x: unknown) => pyRepr(x, sortDicts);
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return reprString(v);
  if (v instanceof Uint8Array) return reprBytes(v);
  if (v instanceof PySet) return v.items.length ? `{${v.items.map(r).join(", ")}}` : "set()";
  if (Array.isArray(v)) return `[${v.map(r).join(", ")}]`;
  return `{${dictEntries(v, sortDicts).map(([k, x]) => `${r(k)}: ${r(x)}`).join(", ")}}`;
}

/** A dict's entries, keys as Python has them (numbers for a Map's). */
function dictEntries(v: unknown, sort: boolean): [string | number, unknown][] {
  const e: [string | number, unknown][] = v instanceof Map
    ? [...v]
    : Object.entries(v as Record<string, unknown>);
  if (sort) {
    e.sort(([a], [b]) =>
      typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : 1
    );
  }
  return e;
}

const isDict = (v: unknown) =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) &&
  !(v instanceof PySet);

/**
 * `pprint.pprint(value, width=width, compact=True)` as cli.py prints
 * without `--output-json`: dicts with sorted keys, one entry a line when
 * the whole does not fit, lists packed. Long strings and bytes are not
 * split into pieces as Python does, and a set keeps the order given
 * (Python's is its hash order, which changes from run to run).
 *
 * @example
 * ```ts
 * import { pyPrettyPrint } from "./pyvalue.ts";
 * pyPrettyPrint({ mtu: 1500, ifname: "lo" }); // "{'ifname': 'lo', 'mtu': 1500}"
 * ```
 */
export function pyPrettyPrint(v: unknown, width = 80): string {
  return format(v, 0, 0, width);
}

function format(v: unknown, indent: number, allowance: number, width: number): string {
  const rep = pyRepr(v, true);
  if (rep.length <= width - indent - allowance) return rep;
  if (isDict(v)) {
    const entries = dictEntries(v, true);
    if (!entries.length) return rep;
    const inner = indent + 1;
    const parts = entries.map(([k, x], i) => {
      const key = pyRepr(k, true);
      const last = i === entries.length - 1;
      return `${key}: ${format(x, inner + key.length + 2, last ? allowance + 1 : 1, width)}`;
    });
    return `{${parts.join(`,\n${" ".repeat(inner)}`)}}`;
  }
  if (Array.isArray(v) && v.length) {
    const inner = indent + 1;
    const lines: string[] = [];
    let line = "";
    let room = width - inner;
    v.forEach((x, i) => {
      const last = i === v.length - 1;
      const extra = last ? allowance + 1 : 1;
      const r = pyRepr(x, true);
      if (r.length + extra <= width - inner) {
        // compact: pack items that fit whole
        const need = r.length + (line ? 2 : 0);
        if (line && need + extra > room) {
          lines.push(line);
          line = "";
          room = width - inner;
        }
        if (line) {
          line += ", ";
          room -= 2;
        }
        line += r;
        room -= r.length;
        return;
      }
      if (line) lines.push(line);
      line = "";
      room = width - inner;
      lines.push(format(x, inner, extra, width));
    });
    if (line) lines.push(line);
    return `[${lines.join(`,\n${" ".repeat(inner)}`)}]`;
  }
  return rep;
}
