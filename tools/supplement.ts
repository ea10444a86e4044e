/**
 * The project's supplements to a kernel spec: a `NAME.supplement.yaml` in
 * tools/specs/, in the kernel's YNL schema, holding only what the kernel's
 * spec of family NAME leaves out or gets wrong (operations it does not
 * list, multicast groups, attribute sets, an attribute's nested set). The
 * generator merges it into the kernel's spec before reading it, so the
 * family stays one module with one table.
 *
 * Merging is by name, at the YAML level: a definition, an attribute set,
 * an operation or a multicast group the kernel's spec has is replaced
 * field by field (the supplement's fields win, the others stay), one it
 * lacks is appended. An attribute of an existing set is merged the same
 * way, so a new one is numbered after the kernel's last (or by its
 * `value`): an attribute the kernel's spec leaves out in the middle of a
 * set (a PAD) is appended with its `value`, and the first attribute after
 * the gap given its `value`. A sub-message is merged by name too, its
 * formats by their `value` (the selector: a new expression's attribute
 * set). Dev-time only, like tools/generate.ts.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
type Yaml = any;

/** Merges lists of named objects: same name merged field by field, new ones appended. */
function byName(
  base: Yaml[] | undefined,
  extra: Yaml[] | undefined,
  merge = shallow,
  key = "name",
): Yaml[] {
  const out = [...(base ?? [])];
  for (const e of extra ?? []) {
    const at = out.findIndex((b) => b[key] === e[key]);
    if (at < 0) out.push(e);
    else out[at] = merge(out[at], e);
  }
  return out;
}

function shallow(b: Yaml, e: Yaml): Yaml {
  return { ...b, ...e };
}

function attrSet(b: Yaml, e: Yaml): Yaml {
  return { ...b, ...e, attributes: byName(b.attributes, e.attributes) };
}

function subMessage(b: Yaml, e: Yaml): Yaml {
  return { ...b, ...e, formats: byName(b.formats, e.formats, shallow, "value") };
}

/**
 * The kernel's spec `base` with the project's supplement `extra` merged in
 * (neither is changed). The supplement must name the same family.
 *
 * @example
 * ```ts ignore
 * const y = supplement(kernelConntrack, { name: "conntrack", "mcast-groups": { list: [...] } });
 * ```
 */
export function supplement(base: Yaml, extra: Yaml): Yaml {
  if (base.name !== extra.name) {
    throw new Error(`a supplement of ${extra.name} cannot change family ${base.name}`);
  }
  const out: Yaml = { ...base };
  if (extra.definitions) out.definitions = byName(base.definitions, extra.definitions);
  if (extra["attribute-sets"]) {
    out["attribute-sets"] = byName(base["attribute-sets"], extra["attribute-sets"], attrSet);
  }
  if (extra["sub-messages"]) {
    out["sub-messages"] = byName(base["sub-messages"], extra["sub-messages"], subMessage);
  }
  if (extra.operations) {
    out.operations = {
      ...base.operations,
      list: byName(base.operations?.list, extra.operations.list),
    };
  }
  if (extra["mcast-groups"]) {
    out["mcast-groups"] = {
      ...base["mcast-groups"],
      list: byName(base["mcast-groups"]?.list, extra["mcast-groups"].list),
    };
  }
  return out;
}
