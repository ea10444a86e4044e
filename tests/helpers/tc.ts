/**
 * What the tc tests share: iproute2's tc in a namespace (its JSON parsed),
 * and a namespace with a veth pair up and no IPv6 (whose neighbour
 * discovery would count in statistics between two reads).
 */
import { makeNetns, type Netns, run } from "./netns.ts";

/** `tc -n NS ...args`: its stdout. */
export const tc = (ns: Netns, ...args: string[]): Promise<string> =>
  run("tc", "-n", ns.name, ...args);

/** `tc -j ...`, parsed; u32's repeated "match" keys are numbered (match0, match1, ...) so none is lost. */
// deno-lint-ignore no-explicit-any
export async function tcJson<T = Record<string, any>[]>(ns: Netns, ...args: string[]): Promise<T> {
  let n = 0;
  const text = (await tc(ns, "-j", ...args)).replace(/"match":/g, () => `"match${n++}":`);
  return JSON.parse(text || "[]") as T;
}

/** A fresh namespace with veth va/vb up and IPv6 off. */
export async function vethNs(): Promise<Netns> {
  const ns = await makeNetns();
  for (const k of ["all", "default"]) {
    await run("ip", "netns", "exec", ns.name, "sysctl", "-qw", `net.ipv6.conf.${k}.disable_ipv6=1`);
  }
  await ns.ip("link", "add", "name", "va", "type", "veth", "peer", "name", "vb");
  await ns.ip("link", "set", "va", "up");
  await ns.ip("link", "set", "vb", "up");
  return ns;
}
