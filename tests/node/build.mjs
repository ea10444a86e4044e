// Builds the npm package from the repo's sources with esbuild, using the
// same module mapping as npm-build.ts (dnt): ffi/deno.ts -> ffi/node.ts.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = fileURLToPath(new URL("../..", import.meta.url));
const [outDir] = process.argv.slice(2);
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
