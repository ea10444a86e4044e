/**
 * src/cli/args.ts against the parser it replaces, `node:util`'s strict
 * `parseArgs`: the same values and positionals for every command line that
 * node accepts, an error for every one it rejects, and the kind of error.
 */
import assert from "node:assert/strict";
import { parseArgs as nodeParseArgs } from "node:util";
import { type ArgOption, ArgsError, parseArgs } from "../src/cli/args.ts";

const options = {
  "4": { type: "boolean" },
  "6": { type: "boolean" },
  details: { type: "boolean", short: "d" },
  all: { type: "boolean", short: "a" },
  netns: { type: "string", short: "n" },
  table: { type: "string" },
  lifetime: { type: "string", default: "10000" },
  forward: { type: "string", multiple: true },
  json: { type: "boolean" },
} satisfies Record<string, ArgOption>;

const accepted: string[][] = [
  [],
  ["link"],
  ["link", "show", "--json"],
  ["-4", "route"],
  ["-6", "-d", "address"],
  ["-da"],
  ["-a4"],
  ["--netns", "blue", "link"],
  ["--netns=blue"],
  ["--netns="],
  ["-n", "blue"],
  ["-nblue"],
  ["-dnblue"],
  ["--table", "254", "route", "--table", "main"],
  ["--lifetime", "5"],
  ["--forward", "80=10.0.0.1:8080", "--forward", "443=10.0.0.1:8443"],
  ["--", "--json", "-d"],
  ["link", "--", "x"],
  ["-"],
  ["--netns", "-"],
  ["--details", "--details"],
];
const rejected: [string[], ArgsError["problem"], string][] = [
  [["--bogus"], "unknown-option", "--bogus"],
  [["-x"], "unknown-option", "-x"],
  [["-dx"], "unknown-option", "-x"],
  [["--netns"], "missing-value", "--netns"],
  [["-n"], "missing-value", "-n"],
  [["--netns", "--json"], "missing-value", "--netns"],
  [["--netns", "-d"], "missing-value", "--netns"],
  [["-d", "-n"], "missing-value", "-n"],
  [["--json=1"], "unexpected-value", "--json"],
  [["--json="], "unexpected-value", "--json"],
  [["--4=x"], "unexpected-value", "--4"],
];

Deno.test("args: what node:util accepts parses to the same values and positionals", () => {
  for (const args of accepted) {
    const want = nodeParseArgs({ args, options, allowPositionals: true, strict: true });
    const got = parseArgs({ args, options, allowPositionals: true });
    assert.deepEqual(
      { values: { ...got.values }, positionals: got.positionals },
      { values: { ...want.values }, positionals: want.positionals },
      args.join(" "),
    );
  }
});

Deno.test("args: what node:util rejects is an ArgsError naming the option", () => {
  for (const [args, problem, flag] of rejected) {
    assert.throws(
      () => nodeParseArgs({ args, options, allowPositionals: true, strict: true }),
      Error,
      `node:util accepts ${args.join(" ")}`,
    );
    assert.throws(
      () => parseArgs({ args, options, allowPositionals: true }),
      (e: unknown) => e instanceof ArgsError && e.problem === problem && e.flag === flag,
      args.join(" "),
    );
  }
});

Deno.test("args: positionals are an error unless allowed, as with node:util", () => {
  const args = ["--json", "extra"];
  assert.throws(() => nodeParseArgs({ args, options, strict: true }));
  assert.throws(
    () => parseArgs({ args, options }),
    (e: unknown) => e instanceof ArgsError && e.problem === "positional" && e.flag === "extra",
  );
  assert.deepEqual(parseArgs({ args: ["--json"], options }).positionals, []);
});

Deno.test("args: the CLIs no longer load node:util", async () => {
  // what issue 20's start-up bought: only this test and the tools use node:util
  const cliRoot = new URL("../src/cli/", import.meta.url);
  for (const e of Deno.readDirSync(cliRoot)) {
    if (!e.isFile || !e.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(e.name, cliRoot));
    assert.doesNotMatch(text, /from "node:util"/, e.name);
  }
});
