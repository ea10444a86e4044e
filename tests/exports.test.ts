/**
 * The package's subpath exports against the tree: every generated family
 * and every command-line tool has its entry, each entry's file exists, and
 * deno.json is what tools/exports.ts writes (run it after regenerating).
 */
import assert from "node:assert/strict";
import { expectedExports } from "../tools/exports.ts";

const root = new URL("../", import.meta.url);
const deno = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
const exportsMap: Record<string, string> = deno.exports;

function tsFiles(dir: string): string[] {
  return [...Deno.readDirSync(new URL(dir, root))]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => e.name.slice(0, -3))
    .sort();
}

Deno.test("exports: one ./families/<name> per module in src/families/", () => {
  const listed = Object.keys(exportsMap)
    .filter((k) => k.startsWith("./families/"))
    .map((k) => k.slice("./families/".length))
    .sort();
  assert.deepEqual(listed, tsFiles("src/families/").filter((n) => n !== "mod"));
  for (const name of listed) {
    assert.equal(exportsMap[`./families/${name}`], `./src/families/${name}.ts`);
  }
});

Deno.test("exports: every entry's file exists; the CLIs are runnable entries", () => {
  for (const [name, path] of Object.entries(exportsMap)) {
    assert.ok(Deno.statSync(new URL(path, root)).isFile, `${name}: ${path} is missing`);
  }
  for (const cli of ["dump", "genl_list", "monitor", "ynl"]) {
    assert.equal(exportsMap[`./cli/${cli}`], `./src/cli/${cli}.ts`);
  }
  assert.equal(exportsMap["./cli/json"], undefined, "json.ts is the tools' helper, not a tool");
});

Deno.test("exports: deno.json is what tools/exports.ts writes", () => {
  assert.deepEqual(exportsMap, expectedExports());
});

Deno.test("exports: the root entry carries no generated family and no family table", async () => {
  const text = await Deno.readTextFile(new URL("mod.ts", root));
  assert.doesNotMatch(text, /src\/families\//);
  assert.doesNotMatch(text, /familyTables/);
});
