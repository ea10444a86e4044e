/**
 * The kernel modules a VM test names: read from its `VM_MODULES` export
 * (as text: importing a test file would register its tests), resolved with
 * their dependencies from the kernel's modules.dep into a load order, and
 * decompressed (`xz -d`) for the guest's busybox insmod.
 *
 * @module
 */
import { sh } from "../../tools/fetch_specs.ts";

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * The module names a test file declares with
 * `export const VM_MODULES = ["bonding", "8021q"];` (none without one).
 *
 * @example
 * ```ts
 * declaredModules('export const VM_MODULES = ["dummy", "bonding"] as const;'); // ["dummy", "bonding"]
 * ```
 */
export function declaredModules(source: string, file = "test file"): string[] {
  const m = /export\s+const\s+VM_MODULES\b[^=]*=\s*\[([^\]]*)\]/.exec(source);
  if (!m) return [];
  const body = m[1].replace(/\/\/[^\n]*/g, "");
  const names = [...body.matchAll(/(["'])([^"']*)\1/g)].map((x) => x[2]);
  const rest = body.replace(/(["'])([^"']*)\1/g, "").replace(/[\s,]/g, "");
  if (rest !== "") {
    throw new SyntaxError(`${file}: VM_MODULES must be a list of string literals, found ${rest}`);
  }
  for (const n of names) {
    if (!NAME.test(n)) throw new TypeError(`${file}: bad module name ${JSON.stringify(n)}`);
  }
  return names;
}

/** A module name as the kernel knows it ("-" and "_" are the same). */
const norm = (name: string) => name.replaceAll("-", "_");

/** The module name of a modules.dep path (kernel/net/8021q/8021q.ko.xz -> 8021q). */
const moduleOf = (path: string) =>
  norm(path.slice(path.lastIndexOf("/") + 1).replace(/\.ko(\.\w+)?$/, ""));

/** modules.dep and modules.builtin of a modules tree, parsed. */
export interface ModuleIndex {
  /** Module name -> its path relative to the tree and its direct dependencies' names. */
  deps: Map<string, { path: string; needs: string[] }>;
  /** Names built into the image (nothing to load). */
  builtin: Set<string>;
}

/** Parses modules.dep and modules.builtin text. */
export function parseModuleIndex(dep: string, builtin = ""): ModuleIndex {
  const deps = new Map<string, { path: string; needs: string[] }>();
  for (const line of dep.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const needs = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean).map(moduleOf);
    deps.set(moduleOf(path), { path, needs });
  }
  const names = builtin.split("\n").map((l) => l.trim()).filter(Boolean).map(moduleOf);
  return { deps, builtin: new Set(names) };
}

/**
 * The paths to insmod, in order (each after what it needs), for `names`;
 * built-in ones are left out. An unknown name is a RangeError.
 */
export function loadOrder(index: ModuleIndex, names: string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, chain: string[]) => {
    const n = norm(name);
    if (seen.has(n) || index.builtin.has(n)) return;
    const entry = index.deps.get(n);
    if (!entry) {
      throw new RangeError(
        `no module ${JSON.stringify(name)} in this kernel${
          chain.length ? ` (needed by ${chain.join(" <- ")})` : ""
        }`,
      );
    }
    seen.add(n);
    for (const d of entry.needs) visit(d, [n, ...chain]);
    order.push(entry.path);
  };
  for (const name of names) visit(name, []);
  return order;
}

/**
 * Copies the modules `names` and their dependencies from `tree` (a
 * lib/modules/KVER directory) into `dest`, decompressed. Returns the
 * guest-relative paths to insmod, in order.
 */
export async function stageModules(tree: string, names: string[], dest: string): Promise<string[]> {
  const index = parseModuleIndex(
    await Deno.readTextFile(`${tree}modules.dep`),
    await Deno.readTextFile(`${tree}modules.builtin`).catch(() => ""),
  );
  const out: string[] = [];
  await Deno.mkdir(dest, { recursive: true });
  for (const path of loadOrder(index, names)) {
    const file = path.slice(path.lastIndexOf("/") + 1);
    if (file.endsWith(".ko.xz")) {
      const ko = file.slice(0, -3);
      await sh("sh", ["-c", `xz -dc '${tree}${path}' > '${dest}${ko}'`]);
      out.push(ko);
    } else if (file.endsWith(".ko")) {
      await Deno.copyFile(tree + path, dest + file);
      out.push(file);
    } else {
      throw new Error(`cannot load ${path}: only .ko and .ko.xz are handled`);
    }
  }
  return out;
}
