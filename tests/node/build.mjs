// Builds the npm package from the repo's sources with esbuild, using the
// same module mapping as npm-build.ts (dnt): ffi/deno.ts -> ffi/node.ts.
// Then the type declarations, with tsc over a copy of the same sources in
// which ffi/deno.ts is ffi/node.ts: mod.d.ts and one .d.ts per module.
//   node build.mjs <outDir> [--no-types]
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = path.join(here, "../..");
const [outDir, flag] = process.argv.slice(2);
const nodeFfi = path.join(root, "ffi/node.ts");

await build({
  entryPoints: [path.join(root, "mod.ts")],
  outfile: path.join(outDir, "mod.js"),
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["koffi"],
  logLevel: "warning",
  plugins: [{
    name: "ffi-mapping",
    setup(b) {
      b.onResolve({ filter: /ffi\/deno\.ts$/ }, () => ({ path: nodeFfi }));
    },
  }],
});

if (flag !== "--no-types") {
  const src = mkdtempSync(path.join(tmpdir(), "nlts-types-"));
  try {
    for (const p of ["mod.ts", "src", "ffi"]) cpSync(path.join(root, p), path.join(src, p), { recursive: true });
    cpSync(nodeFfi, path.join(src, "ffi/deno.ts"));
    writeFileSync(
      path.join(src, "tsconfig.json"),
      JSON.stringify({
        files: ["mod.ts"],
        compilerOptions: {
          target: "es2022",
          lib: ["es2023", "esnext.disposable"],
          module: "nodenext",
          moduleResolution: "nodenext",
          allowImportingTsExtensions: true,
          declaration: true,
          emitDeclarationOnly: true,
          strict: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [path.join(here, "node_modules/@types")],
          paths: { koffi: [path.join(here, "node_modules/koffi")] },
          outDir: path.resolve(outDir),
        },
      }),
    );
    execFileSync(process.execPath, [path.join(here, "node_modules/typescript/bin/tsc"), "-p", src], {
      stdio: "inherit",
    });
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
  // The sources import "./x.ts"; a published .d.ts names "./x.js".
  for (const f of readdirSync(outDir, { recursive: true })) {
    if (!String(f).endsWith(".d.ts")) continue;
    const file = path.join(outDir, String(f));
    const text = readFileSync(file, "utf8")
      .replace(/(from\s+|import\()"(\.{1,2}\/[^"]*)\.ts"/g, '$1"$2.js"');
    writeFileSync(file, text);
  }
}
