/**
 * The compiled decoders the generator appends to each family module: one
 * function per attribute set (a `switch` on the type, values stored by
 * name) and per struct (one object literal of its members), registered
 * with src/ynl/compiled.ts. They decode to exactly what the interpreter in
 * src/ynl/codec.ts does (tests/ynl_compiled.test.ts holds them to it);
 * kinds with more to them (sub-messages, indexed arrays, type-value nests,
 * bitfields, sints) and structs cut short go back to the interpreter.
 *
 * @module
 */
import { type AttrSpec, type FamilySpec, own, SCALAR_SIZES } from "../src/ynl/schema.ts";

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function prop(key: string): string {
  return IDENT.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function literalKey(key: string): string {
  return IDENT.test(key) ? key : JSON.stringify(key);
}

/** Kinds whose value the compiled decoder reads itself, and how. */
function scalar(a: AttrSpec): string | undefined {
  const be = !!a.bigEndian;
  switch (a.kind) {
    case "u8":
    case "s8":
    case "s16":
    case "s32":
    case "s64":
    case "uint":
    case "string":
      return `ad.${a.kind}()`;
    case "u16":
    case "u32":
    case "u64":
      return be ? `ad.${a.kind}be()` : `ad.${a.kind}()`;
    case "flag":
      return "true";
    case "unused":
      return "ad.value()";
  }
  return undefined;
}

/**
 * The statements that register the compiled decoders of `f` (bound to the
 * module's export `id`), or none for a family without sets or structs.
 */
export function emitDecoders(f: FamilySpec, id: string): string[] {
  const structs = Object.keys(f.structs);
  const sets = Object.keys(f.sets);
  if (!structs.length && !sets.length) return [];
  const sName = new Map(structs.map((n, i) => [n, `$s${i}`]));
  const aName = new Map(sets.map((n, i) => [n, `$a${i}`]));
  const out: string[] = [`// ${f.name}'s compiled decoders (see src/ynl/compiled.ts)`];
  const compiledStructs: string[] = [];
  for (const name of structs) {
    const s = f.structs[name];
    const keys = s.members.filter((m) => m.kind !== "pad").map((m) => m.key);
    // a struct the literal cannot say (two members of one key, a __proto__) stays interpreted
    if (new Set(keys).size !== keys.length || keys.includes("__proto__")) continue;
    const fields: string[] = [];
    let off = 0;
    let dv = false;
    for (const m of s.members) {
      const size = own(SCALAR_SIZES, m.kind) ?? m.len ?? 0;
      const le = !m.bigEndian;
      const k = literalKey(m.key);
      const o = off ? ` + ${off}` : "";
      switch (m.kind) {
        case "u8":
          fields.push(`${k}: b[at${o}]`);
          break;
        case "s8":
        case "u16":
        case "s16":
        case "u32":
        case "s32": {
          const get = { s8: "Int8", u16: "Uint16", s16: "Int16", u32: "Uint32", s32: "Int32" }[
            m.kind
          ];
          fields.push(`${k}: v.get${get}(o${o}${m.kind === "s8" ? "" : `, ${le}`})`);
          dv = true;
          break;
        }
        case "u64":
        case "s64": {
          // a zero is the one 0n: counters mostly are, and each BigInt read is an allocation
          const get = m.kind === "u64" ? "BigUint64" : "BigInt64";
          const hi = off + 4 ? ` + ${off + 4}` : "";
          fields.push(
            `${k}: (v.getUint32(o${o}, true) | v.getUint32(o${hi}, true)) === 0 ? 0n : v.get${get}(o${o}, ${le})`,
          );
          dv = true;
          break;
        }
        case "string":
          fields.push(`${k}: $h.string(b, at${o}, ${size})`);
          break;
        case "binary":
          if (m.struct) {
            const c = sName.get(m.struct);
            fields.push(
              c
                ? `${k}: ${c}(b, at${o}, ${size})`
                : `${k}: $h.struct(${id}, ${JSON.stringify(m.struct)}, b, at${o}, ${size})`,
            );
          } else fields.push(`${k}: b.subarray(at${o}, at + ${off + size})`);
          break;
      }
      off += size;
    }
    const v = sName.get(name)!;
    compiledStructs.push(name);
    out.push(`function ${v}(b: Uint8Array, at = 0, len = b.length - at): $Attrs {`);
    out.push(`  if (at < 0 || len < ${off} || at + len > b.length) {`);
    out.push(`    return $h.struct(${id}, ${JSON.stringify(name)}, b, at, len);`);
    out.push(`  }`);
    if (dv) out.push(`  const v = $h.view(b), o = b.byteOffset + at;`);
    out.push(`  return { ${fields.join(", ")} };`);
    out.push(`}`);
  }
  for (const name of sets) {
    const s = f.sets[name];
    const byType = new Map<number, { a: AttrSpec; i: number }>();
    s.attrs.forEach((a, i) => byType.set(a.type, { a, i }));
    // past the 4 properties a `{}` holds in itself, a shape of the set's own
    const shaped = s.attrs.filter((a) => a.kind !== "pad").length > 4;
    const shape = `$n${aName.get(name)!.slice(2)}`;
    if (shaped) out.push(`const ${shape} = $h.shape();`);
    out.push(`function ${aName.get(name)}(ad: $Cursor): $Attrs {`);
    out.push(`  const o: $Attrs = ${shaped ? `new ${shape}()` : "{}"};`);
    out.push(`    while (ad.next()) {`);
    out.push(`      switch (ad.type) {`);
    for (const [type, { a, i }] of [...byType].sort((x, y) => x[0] - y[0])) {
      if (a.kind === "pad") {
        out.push(`        case ${type}:`, `          break;`);
        continue;
      }
      let e = scalar(a);
      if (e === undefined && a.kind === "binary") {
        const c = a.struct && own(f.structs, a.struct) ? sName.get(a.struct) : undefined;
        e = c && compiledStructs.includes(a.struct!)
          ? `${c}(ad.bytes, ad.offset, ad.length)`
          : a.struct && own(f.structs, a.struct)
          ? `$h.value(${id}, ad, o, ${JSON.stringify(name)}, ${i})`
          : "ad.value()";
      }
      if (e === undefined && a.kind === "nest" && a.set && own(f.sets, a.set)) {
        e = `${aName.get(a.set)}(ad.nested())`;
      }
      e ??= `$h.value(${id}, ad, o, ${JSON.stringify(name)}, ${i})`;
      out.push(`        case ${type}:`);
      if (a.multi) {
        out.push(`          {`, `            const x = ${e};`);
        out.push(`            ((o${prop(a.key)} ??= []) as unknown[]).push(x);`, `          }`);
      } else out.push(`          o${prop(a.key)} = ${e};`);
      out.push(`          break;`);
    }
    out.push(`        default:`, `          $h.unknown(ad, o);`);
    out.push(`      }`, `    }`, `    return o;`, `}`);
  }
  const table = (names: string[], m: Map<string, string>) =>
    names.map((n) => `${JSON.stringify(n)}: ${m.get(n)}`).join(", ");
  out.push(`$register(${id}, {`);
  out.push(`  sets: { ${table(sets, aName)} },`);
  out.push(`  structs: { ${table(compiledStructs, sName)} },`);
  out.push(`});`, "");
  return out;
}
