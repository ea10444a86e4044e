/**
 * Reading a namespace's ruleset with Debian's `nft` (`-j`, by object
 * kind) and loading one with `nft -f`, for the nftables tests.
 */
import { type Netns, run } from "./netns.ts";

// deno-lint-ignore no-explicit-any
export type Json = any;

/** `nft -j list ruleset` in `ns`: its objects by kind. */
export async function nftJson(ns: Netns): Promise<Record<string, Json[]>> {
  const out = JSON.parse(await run("ip", "netns", "exec", ns.name, "nft", "-j", "list", "ruleset"));
  const by: Record<string, Json[]> = {
    table: [],
    chain: [],
    rule: [],
    set: [],
    map: [],
    flowtable: [],
  };
  for (const o of out.nftables) {
    const [k] = Object.keys(o);
    if (k !== "metainfo") (by[k] ??= []).push(o[k]);
  }
  return by;
}

/** Loads `text` with `nft -f` in `ns`. */
export async function nftFile(ns: Netns, text: string): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".nft" });
  try {
    await Deno.writeTextFile(path, text);
    await run("ip", "netns", "exec", ns.name, "nft", "-f", path);
  } finally {
    await Deno.remove(path);
  }
}
