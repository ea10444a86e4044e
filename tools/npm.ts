/**
 * `deno task npm`: the npm package, built offline (npm registry only) into
 * `npm/` and packed there (`npm/<name>-<version>.tgz`), from the same
 * sources, entries, module mapping and package.json as the release build
 * (npm-build.ts, dnt, which needs JSR).
 *
 * tsc (pinned in tests/node/package.json) compiles a copy of `mod.ts`,
 * `src/` and `ffi/` in which each of npm-build.ts's MAPPINGS is applied
 * (`ffi/deno.ts` becomes `ffi/node.ts`): one `.js` and one `.d.ts` per
 * module under `npm/esm/`, so every entry shares the same classes (an
 * error thrown under `./rtnl` is the root's `NetlinkError`).
 *
 * @module
 */
import { MAPPINGS, npmEntries, packageJson } from "../npm-build.ts";

const root = new URL("../", import.meta.url).pathname;
const tooling = `${root}tests/node`;
const out = `${root}npm`;

async function run(cmd: string, args: string[], cwd = root): Promise<string> {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}):\n${text}`);
  return text;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Builds and packs the package; returns the tarball's path. */
export async function buildNpm(): Promise<string> {
  const deno = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
  if (!exists(`${tooling}/node_modules/typescript`)) {
    await run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], tooling);
  }
  await Deno.remove(out, { recursive: true }).catch(() => {});
  const src = await Deno.makeTempDir({ prefix: "nlts-npm-" });
  try {
    for (const p of ["mod.ts", "src", "ffi"]) await run("cp", ["-r", `${root}${p}`, `${src}/`]);
    for (const [from, to] of Object.entries(MAPPINGS)) {
      await Deno.copyFile(`${root}${to}`, `${src}/${from}`);
    }
    // ESM sources: nodenext reads .ts files as modules only under "type": "module".
    await Deno.writeTextFile(`${src}/package.json`, `{"type":"module"}`);
    await Deno.writeTextFile(
      `${src}/tsconfig.json`,
      JSON.stringify({
        files: Object.values(npmEntries(deno)),
        compilerOptions: {
          target: "es2022",
          lib: ["es2023", "esnext.disposable"],
          module: "nodenext",
          moduleResolution: "nodenext",
          rewriteRelativeImportExtensions: true,
          declaration: true,
          strict: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [`${tooling}/node_modules/@types`],
          paths: { koffi: [`${tooling}/node_modules/koffi/index.d.ts`] },
          rootDir: src,
          outDir: `${out}/esm`,
        },
      }),
    );
    await run("node", [`${tooling}/node_modules/typescript/bin/tsc`, "-p", src]);
  } finally {
    await Deno.remove(src, { recursive: true });
  }
  await Deno.writeTextFile(`${out}/package.json`, JSON.stringify(packageJson(deno), null, 2));
  for (const f of ["LICENSE", "README.md"]) await Deno.copyFile(`${root}${f}`, `${out}/${f}`);
  const name = (await run("npm", ["pack", "--silent", "--pack-destination", out], out)).trim();
  return `${out}/${name.split("\n").pop()}`;
}

if (import.meta.main) console.log(await buildNpm());
