/**
 * Supplements: what a kernel spec leaves out, in the same YNL schema, laid
 * over it before generation. A supplement (tools/specs/supplements/NAME.yaml,
 * `name:` the family's) may
 *
 * - add definitions, attribute sets, operations and multicast groups the
 *   kernel spec does not have;
 * - add attributes to a kernel set only with an explicit `value`;
 * - refine a kernel attribute: add keys it lacks (`enum`, `display-hint`,
 *   `nested-attributes`, ...), or give a type to what the kernel spec calls
 *   `binary` (a nest or an array it does not describe).
 *
 * It may not change anything the kernel spec states: a clash is an error
 * naming the supplement, so a newer kernel spec that says it differently
 * stops the generator instead of being overridden.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
type Yaml = any;

/** A supplement that contradicts its kernel spec. */
export class SupplementError extends Error {
  override name = "SupplementError";
}

function byName(list: Yaml[] | undefined): Map<string, Yaml> {
  return new Map((list ?? []).map((x: Yaml) => [x.name, x]));
}

function refine(kernel: Yaml, extra: Yaml, where: string): Yaml {
  const out = { ...kernel };
  for (const [k, v] of Object.entries(extra)) {
    if (k === "name") continue;
    if (!(k in kernel)) {
      out[k] = v;
    } else if (k === "type" && kernel.type === "binary") {
      out.type = v;
    } else if (JSON.stringify(kernel[k]) !== JSON.stringify(v)) {
      throw new SupplementError(
        `${where}: the kernel's spec says ${k} ${JSON.stringify(kernel[k])}, the supplement ${
          JSON.stringify(v)
        }`,
      );
    }
  }
  return out;
}

/**
 * The kernel's spec `kernel` with the supplement `extra` laid over it
 * (neither is changed). `source` names the supplement in errors.
 *
 * @example
 * ```ts ignore
 * import { supplement } from "./supplement.ts";
 * const merged = supplement(
 *   { name: "x", "attribute-sets": [{ name: "a", attributes: [{ name: "b", type: "binary" }] }] },
 *   { name: "x", "attribute-sets": [{ name: "a", attributes: [{ name: "b", type: "nest" }] }] },
 *   "x.yaml",
 * );
 * ```
 */
export function supplement(kernel: Yaml, extra: Yaml, source: string): Yaml {
  if (extra.name !== kernel.name) {
    throw new SupplementError(`${source}: supplements ${extra.name}, not ${kernel.name}`);
  }
  const out = { ...kernel };
  const defs = byName(kernel.definitions);
  for (const d of extra.definitions ?? []) {
    if (defs.has(d.name)) throw new SupplementError(`${source}: definition ${d.name} exists`);
  }
  out.definitions = [...(kernel.definitions ?? []), ...(extra.definitions ?? [])];

  const sets = (kernel["attribute-sets"] ?? []).map((s: Yaml) => ({ ...s }));
  const setByName = byName(sets);
  for (const s of extra["attribute-sets"] ?? []) {
    const base = setByName.get(s.name);
    if (!base) {
      sets.push(s);
      continue;
    }
    const attrs = [...base.attributes];
    const index = new Map(attrs.map((a: Yaml, i: number) => [a.name, i]));
    for (const a of s.attributes ?? []) {
      const where = `${source}: ${s.name}.${a.name}`;
      const i = index.get(a.name);
      if (i !== undefined) attrs[i] = refine(attrs[i], a, where);
      else if (a.value === undefined) {
        throw new SupplementError(`${where} is not in the kernel's set: give its value`);
      } else attrs.push(a);
    }
    base.attributes = attrs;
  }
  out["attribute-sets"] = sets;

  const ops = kernel.operations?.list ?? [];
  const opNames = byName(ops);
  for (const o of extra.operations?.list ?? []) {
    if (opNames.has(o.name)) throw new SupplementError(`${source}: operation ${o.name} exists`);
  }
  out.operations = { ...kernel.operations, list: [...ops, ...(extra.operations?.list ?? [])] };

  const groups = kernel["mcast-groups"]?.list ?? [];
  const groupNames = byName(groups);
  const more = (extra["mcast-groups"]?.list ?? []).filter((g: Yaml) => !groupNames.has(g.name));
  if (more.length) out["mcast-groups"] = { list: [...groups, ...more] };
  return out;
}
