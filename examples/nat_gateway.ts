/**
 * Turns a namespace (or this host) into a NAT gateway with nftables, in
 * one transaction and with no `nft` command: a stateful forward filter
 * (replies and LAN -> WAN pass, the rest is dropped), masquerade on the
 * WAN interface, and optional port forwards from the WAN to LAN hosts.
 * Running it again replaces the gateway's table as a whole.
 *
 *     deno run --allow-ffi --allow-read examples/nat_gateway.ts \
 *       --lan IFACE --wan IFACE [--netns NAME] [--forward PORT=ADDR:PORT]...
 *
 * Forwarding itself is a sysctl: `sysctl -w net.ipv4.ip_forward=1` in the
 * namespace.
 */
import { type Expr, match, NftClient, type NftRule } from "../src/nft/mod.ts";
import { parseCli, runCli, UsageError } from "../src/cli/usage.ts";

const TABLE = "nat_gateway";
const cli = {
  name: "nat_gateway.ts",
  help: `usage: nat_gateway.ts --lan IFACE --wan IFACE [--netns NAME] [--forward PORT=ADDR:PORT]...

  Installs table inet ${TABLE}: forward policy drop with replies and LAN -> WAN
  accepted, masquerade out of the WAN, and TCP port forwards from the WAN.`,
};

/** "8080=10.1.0.2:80" -> [8080, "10.1.0.2", 80] */
function parseForward(text: string): [number, string, number] {
  const m = /^(\d+)=(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
  const port = (s: string) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new UsageError(`bad port ${s} in --forward ${text}`);
    }
    return n;
  };
  if (!m) throw new UsageError(`--forward takes PORT=ADDR:PORT, not "${text}"`);
  return [port(m[1]), m[2], port(m[3])];
}

await runCli(cli, async (context) => {
  const { values } = parseCli(cli, {
    help: { type: "boolean", short: "h" },
    lan: { type: "string" },
    wan: { type: "string" },
    netns: { type: "string" },
    forward: { type: "string", multiple: true },
  }, 0);
  if (!values.lan || !values.wan) throw new UsageError("--lan and --wan are required");
  const { lan, wan } = values;
  const forwards = (values.forward ?? []).map(parseForward);
  context.netns = values.netns;

  await using nft = await NftClient.open({ netns: values.netns });
  const accept: Expr = { type: "verdict", verdict: "accept" };
  const rule = (chain: string, comment: string, exprs: Expr[]): NftRule => ({
    family: "inet",
    table: TABLE,
    chain,
    comment,
    exprs,
  });
  const b = nft.batch()
    // add then delete then add: replaces an earlier run's table, and works without one
    .addTable({ family: "inet", name: TABLE })
    .deleteTable({ family: "inet", name: TABLE })
    .addTable({ family: "inet", name: TABLE })
    .addChain({
      family: "inet",
      table: TABLE,
      name: "forward",
      hook: "forward",
      priority: 0,
      policy: "drop",
    })
    .addChain({
      family: "inet",
      table: TABLE,
      name: "prerouting",
      hook: "prerouting",
      type: "nat",
      priority: -100,
    })
    .addChain({
      family: "inet",
      table: TABLE,
      name: "postrouting",
      hook: "postrouting",
      type: "nat",
      priority: 100,
    })
    .addRule(rule("forward", "replies", [...match.ctState("established", "related"), accept]))
    .addRule(rule("forward", "invalid", [...match.ctState("invalid"), {
      type: "verdict",
      verdict: "drop",
    }]))
    .addRule(rule("forward", "lan to wan", [
      ...match.iifname(lan),
      ...match.oifname(wan),
      { type: "counter" },
      accept,
    ]))
    .addRule(rule("postrouting", "masquerade", [
      ...match.nfprotoIpv4(),
      ...match.oifname(wan),
      { type: "masq" },
    ]));
  for (const [from, addr, to] of forwards) {
    b.addRule(rule("prerouting", `forward ${from}`, [
      ...match.nfprotoIpv4(),
      ...match.iifname(wan),
      ...match.dport("tcp", from),
      ...match.nat("dnat", addr, to),
    ]));
    b.addRule(rule("forward", `to ${addr}:${to}`, [
      ...match.nfprotoIpv4(),
      ...match.iifname(wan),
      ...match.ipAddr("daddr", addr),
      ...match.dport("tcp", to),
      accept,
    ]));
  }
  await b.commit();

  const rules = await nft.listRules({ family: "inet", table: TABLE });
  console.log(`table inet ${TABLE}: ${rules.length} rules`);
  for (const r of rules) console.log(`  ${r.chain} #${r.handle}: ${r.comment}`);
});
