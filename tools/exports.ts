/**
 * The package's subpath exports, derived from the tree so that they never
 * drift from it: the fixed rooms, one `./families/<name>` per generated
 * family in `src/families/`, one `./cli/<name>` per command-line tool in
 * `src/cli/` (a module there that exports nothing), and `./testing` when
 * `src/testing/mod.ts` exists.
 *
 *     deno run -A tools/exports.ts             # writes deno.json's "exports"
 *     deno run -A tools/exports.ts --check     # fails if deno.json is stale
 *     deno run -A tools/exports.ts --doc-lint  # deno doc --lint over every entry
 *
 * `tests/exports.test.ts` runs the check; run this after regenerating the
 * families. npm-build.ts and tools/npm.ts take the npm package's exports
 * from deno.json's.
 *
 * @module
 */

const root = new URL("../", import.meta.url);

/** The rooms that are not derived from a folder, in the order deno.json lists them. */
const ROOMS: Record<string, string> = {
  ".": "./mod.ts",
  "./rtnl": "./src/rtnl/mod.ts",
  "./genl": "./src/ynl/mod.ts",
  "./uevent": "./src/uevent.ts",
  "./nlrtable": "./src/nlrtable/mod.ts",
  "./families": "./src/families/mod.ts",
  "./diag": "./src/diag/mod.ts",
  "./proc": "./src/connector/proc.ts",
  "./taskstats": "./src/taskstats/client.ts",
  "./tc": "./src/tc/mod.ts",
  "./conntrack": "./src/conntrack/mod.ts",
  "./wireguard": "./src/wireguard/mod.ts",
  "./wifi": "./src/wifi/mod.ts",
  "./nft": "./src/nft/mod.ts",
};

function modules(dir: string): string[] {
  const names: string[] = [];
  for (const e of Deno.readDirSync(new URL(dir, root))) {
    if (e.isFile && e.name.endsWith(".ts")) names.push(e.name.slice(0, -3));
  }
  return names.sort();
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(new URL(path, root)).isFile;
  } catch {
    return false;
  }
}

/** What deno.json's `exports` should be for the tree as it is now. */
export function expectedExports(): Record<string, string> {
  const out: Record<string, string> = { ...ROOMS };
  if (exists("src/testing/mod.ts")) out["./testing"] = "./src/testing/mod.ts";
  for (const name of modules("src/families/")) {
    if (name !== "mod") out[`./families/${name}`] = `./src/families/${name}.ts`;
  }
  for (const name of modules("src/cli/")) {
    const text = Deno.readTextFileSync(new URL(`src/cli/${name}.ts`, root));
    // A tool runs; a helper (json.ts) exports what the tools share.
    if (!/^export /m.test(text)) out[`./cli/${name}`] = `./src/cli/${name}.ts`;
  }
  return out;
}

/** deno.json as parsed. */
export function readDenoJson(): { exports: Record<string, string>; [k: string]: unknown } {
  return JSON.parse(Deno.readTextFileSync(new URL("deno.json", root)));
}

if (import.meta.main) {
  const deno = readDenoJson();
  const want = expectedExports();
  if (Deno.args.includes("--check")) {
    if (JSON.stringify(deno.exports) !== JSON.stringify(want)) {
      console.error("deno.json's exports are stale: run `deno run -A tools/exports.ts`");
      Deno.exit(1);
    }
  } else if (Deno.args.includes("--doc-lint")) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["doc", "--lint", ...Object.values(deno.exports)],
      cwd: root,
    }).spawn().status;
    Deno.exit(out.code);
  } else {
    deno.exports = want;
    Deno.writeTextFileSync(new URL("deno.json", root), JSON.stringify(deno, null, 2) + "\n");
    console.log(`deno.json: ${Object.keys(want).length} exports`);
  }
}
