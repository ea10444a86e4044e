/**
 * The release build of the npm package (Node and Bun), with dnt:
 *
 *     deno run -A npm-build.ts            # builds ./npm (needs JSR and npm)
 *     cd npm && npm publish
 *
 * The one difference from the Deno package is the FFI backend: dnt's
 * `mappings` replace `ffi/deno.ts` (`Deno.dlopen`, which dnt's Deno shim
 * does not have) with `ffi/node.ts` (koffi). Nothing in `src/` changes.
 *
 * `deno run --allow-read npm-build.ts --package-json` prints the package.json
 * without loading dnt (offline). `deno task npm` (tools/npm.ts) builds the
 * same package offline, from the same sources, entries, mapping and
 * package.json, with npm-registry tools, into `npm/` and packs it; the npm
 * tests install that tarball.
 *
 * @module
 */

/** Module replacements, as dnt's `mappings` (paths relative to the repo). */
export const MAPPINGS: Record<string, string> = {
  "./ffi/deno.ts": "./ffi/node.ts",
};

/** The koffi version `ffi/node.ts` is written and tested against. */
export const KOFFI_VERSION = "3.3.4";

/** Where the sources live (npm shows it on the package page). */
export const REPOSITORY = "https://github.com/netlink-ts/netlink";

/** deno.json's fields this build reads. */
export interface DenoJson {
  name: string;
  version: string;
  license: string;
  exports: Record<string, string>;
}

/**
 * The npm package's entry points: deno.json's subpath exports, less the
 * command-line tools (`./cli/*` read `Deno.args`: they run with
 * `deno run jsr:@netlink-ts/netlink/cli/<tool>`).
 */
export function npmEntries(deno: DenoJson): Record<string, string> {
  return Object.fromEntries(
    Object.entries(deno.exports).filter(([name]) => !name.startsWith("./cli/")),
  );
}

/** `./src/rtnl/mod.ts` -> `./esm/src/rtnl/mod` (dnt's ESM layout, without the extension). */
function built(path: string): string {
  return `./esm/${path.replace(/^\.\//, "").replace(/\.ts$/, "")}`;
}

/** package.json's `exports`: each entry's module and its declarations. */
export function npmExports(deno: DenoJson): Record<string, { types: string; import: string }> {
  return Object.fromEntries(
    Object.entries(npmEntries(deno)).map((
      [name, path],
    ) => [name, { types: `${built(path)}.d.ts`, import: `${built(path)}.js` }]),
  );
}

/** package.json of the npm package, from deno.json. */
export function packageJson(deno: DenoJson) {
  return {
    name: deno.name,
    version: deno.version,
    description: "Netlink for Node and Bun: AF_NETLINK sockets through FFI (koffi), " +
      "with requests, dumps and event streams as promises and async iterators.",
    license: deno.license,
    repository: { type: "git", url: `git+${REPOSITORY}.git` },
    bugs: { url: `${REPOSITORY}/issues` },
    keywords: ["netlink", "rtnetlink", "linux", "ffi", "koffi", "bun", "deno"],
    // Node 20: Symbol.asyncDispose (close via `await using`) and koffi 3.
    engines: { node: ">=20" },
    os: ["linux"],
    dependencies: { koffi: KOFFI_VERSION },
    type: "module",
    main: `${built(deno.exports["."])}.js`,
    types: `${built(deno.exports["."])}.d.ts`,
    exports: npmExports(deno),
    files: ["esm/"],
  };
}

async function readDenoJson(): Promise<DenoJson> {
  const url = new URL("./deno.json", import.meta.url);
  return JSON.parse(await Deno.readTextFile(url));
}

if (import.meta.main) {
  const deno = await readDenoJson();
  if (Deno.args.includes("--package-json")) {
    console.log(JSON.stringify(packageJson(deno), null, 2));
  } else {
    // Release machines only: JSR is not reachable where CI runs. A variable
    // specifier keeps Deno from fetching dnt when only --package-json runs.
    const dnt = "jsr:@deno/dnt@^0.42.1";
    const { build, emptyDir } = await import(dnt);
    const outDir = "./npm";
    await emptyDir(outDir);
    await build({
      // The same entries as deno.json's exports and tools/npm.ts's build.
      entryPoints: Object.entries(npmEntries(deno)).map(([name, path]) => ({ name, path })),
      outDir,
      mappings: MAPPINGS,
      // Resolves ffi/node.ts's bare `koffi` (deno.json maps it to npm:koffi),
      // which dnt turns back into a bare import and a dependency.
      importMap: "./deno.json",
      // No Deno global in the package itself: the shim is for tests only.
      shims: { deno: "dev" },
      // The Deno tests need root, netns and Deno APIs; tests/node/package.sh
      // runs the integration tests against the package tools/npm.ts packs.
      test: false,
      typeCheck: "both",
      declaration: "inline",
      // ESM only, as tools/npm.ts builds it: the layout and exports agree.
      scriptModule: false,
      compilerOptions: { target: "ES2022", lib: ["ESNext", "DOM"] },
      package: packageJson(deno),
      postBuild() {
        Deno.copyFileSync("LICENSE", `${outDir}/LICENSE`);
        Deno.copyFileSync("README.md", `${outDir}/README.md`);
      },
    });
  }
}
