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
 * the whole does not fit, lists packed, long strings and bytes split into
 * pieces, as Python's pprint module does. One difference: a set that fits
 * on its line keeps the order given (Python's is its hash order, which
 * changes from run to run).
 *
 * @example
 * ```ts
 * import { pyPrettyPrint } from "./pyvalue.ts";
 * pyPrettyPrint({ mtu: 1500, ifname: "lo" }); // "{'ifname': 'lo', 'mtu': 1500}"
 * ```
 */
export function pyPrettyPrint(v: unknown, width = 80): string {
  return new Pretty(width).format(v, 0, 0, 0);
}

class Pretty {
  constructor(readonly width: number) {}

  format(v: unknown, indent: number, allowance: number, level: number): string {
    const rep = pyRepr(v, true);
    if (rep.length <= this.width - indent - allowance) return rep;
    const lvl = level + 1;
    if (isDict(v)) {
      const entries = dictEntries(v, true);
      if (!entries.length) return rep;
      return `{${this.dictItems(entries, indent, allowance + 1, lvl)}}`;
    }
    if (Array.isArray(v)) {
      return v.length ? `[${this.items(v, indent, allowance + 1, lvl)}]` : rep;
    }
    if (v instanceof PySet) {
      return v.items.length
        ? `{${this.items([...v.items].sort(), indent, allowance + 1, lvl)}}`
        : rep;
    }
    if (typeof v === "string") return this.str(v, indent, allowance, lvl);
    if (v instanceof Uint8Array) return this.bytes(v, indent, allowance, lvl);
    return rep;
  }

  dictItems(
    entries: [string | number, unknown][],
    indent: number,
    allowance: number,
    level: number,
  ) {
    indent += 1;
    return entries.map(([k, x], i) => {
      const key = pyRepr(k, true);
      const last = i === entries.length - 1;
      return `${key}: ${this.format(x, indent + key.length + 2, last ? allowance : 1, level)}`;
    }).join(`,\n${" ".repeat(indent)}`);
  }

  items(list: readonly unknown[], indent: number, allowance: number, level: number): string {
    indent += 1;
    const delimnl = `,\n${" ".repeat(indent)}`;
    let out = "", delim = "";
    let maxWidth = this.width - indent + 1, width = maxWidth;
    list.forEach((ent, i) => {
      const last = i === list.length - 1;
      if (last) {
        maxWidth -= allowance;
        width -= allowance;
      }
      const rep = pyRepr(ent, true);
      const w = rep.length + 2;
      if (width < w) {
        width = maxWidth;
        if (delim) delim = delimnl;
      }
      if (width >= w) {
        width -= w;
        out += delim + rep;
        delim = ", ";
        return;
      }
      out += delim;
      delim = delimnl;
      out += this.format(ent, indent, last ? allowance : 1, level);
    });
    return out;
  }

  str(s: string, indent: number, allowance: number, level: number): string {
    if (!s.length) return pyRepr(s);
    const chunks: string[] = [];
    const lines = s.match(/[^\n]*\n|[^\n]+$/g) ?? [s];
    if (level === 1) {
      indent += 1;
      allowance += 1;
    }
    let maxWidth1 = this.width - indent;
    const maxWidth = maxWidth1;
    let rep = "";
    lines.forEach((line, i) => {
      rep = pyRepr(line);
      if (i === lines.length - 1) maxWidth1 -= allowance;
      if (rep.length <= maxWidth1) {
        chunks.push(rep);
        return;
      }
      const parts = line.match(/\S*\s*/g) ?? [];
      parts.pop();
      let maxWidth2 = maxWidth, current = "";
      parts.forEach((part, j) => {
        const candidate = current + part;
        if (j === parts.length - 1 && i === lines.length - 1) maxWidth2 -= allowance;
        if (pyRepr(candidate).length > maxWidth2) {
          if (current) chunks.push(pyRepr(current));
          current = part;
        } else current = candidate;
      });
      if (current) chunks.push(pyRepr(current));
    });
    if (chunks.length === 1) return rep;
    const body = chunks.join(`\n${" ".repeat(indent)}`);
    return level === 1 ? `(${body})` : body;
  }

  bytes(b: Uint8Array, indent: number, allowance: number, level: number): string {
    if (b.length <= 4) return pyRepr(b);
    const parens = level === 1;
    if (parens) {
      indent += 1;
      allowance += 1;
    }
    const reps: string[] = [];
    let width = this.width - indent;
    let current: Uint8Array = new Uint8Array();
    const last = Math.floor(b.length / 4) * 4;
    for (let i = 0; i < b.length; i += 4) {
      const part = b.subarray(i, i + 4);
      const candidate = new Uint8Array([...current, ...part]);
      if (i === last) width -= allowance;
      if (pyRepr(candidate).length > width) {
        if (current.length) reps.push(pyRepr(current));
        current = part;
      } else current = candidate;
    }
    if (current.length) reps.push(pyRepr(current));
    const body = reps.join(`\n${" ".repeat(indent)}`);
    return parens ? `(${body})` : body;
  }
}
