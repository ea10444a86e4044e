/**
 * The new families' hot paths against their tools, on the same data:
 *
 * - ct: a conntrack dump of N entries (50k; 10k with --quick) decoded into
 *   typed ConntrackEntry objects (bench/ct_dump.mjs) against `conntrack -L`
 *   (and, as context, `-o extended` and `-o xml`). The entries are real
 *   flows made by python3 in a netns of their own (UDP over IPv4 and IPv6
 *   to many ports, and TCP connections to a listener, left in TIME_WAIT),
 *   with the netns's UDP and TIME_WAIT timeouts raised so that nothing
 *   expires during the run; an nft rule with `ct state` makes the netns
 *   track.
 * - nft: the whole ruleset (NftClient.ruleset(): tables, chains, sets with
 *   their elements, rules with expressions, bench/nft_ruleset.mjs) against
 *   `nft -j list ruleset` (and `nft list ruleset` as context), of a
 *   generated ruleset of 3 tables, 14 chains, N rules (5,000; 1,000 with
 *   --quick) with payload, meta, ct, lookup, counter, limit, log, reject,
 *   nat and masquerade expressions, two named sets (700 elements) and
 *   anonymous sets, loaded with `nft -f`.
 *
 * For each: the library in steady state (listings in one process after
 * warm-up) and as a whole process, against the tool's whole process (a CLI
 * has no steady state), alternating round by round; output goes to
 * /dev/null for every program. Called by bench/main.ts (`--only ct,nft`).
 *
 * @module
 */

/** A result row, as bench/main.ts prints it. */
export interface FamilyRow {
  workload: string;
  library: number;
  reference?: number;
  unit: string;
  target?: string;
  met?: boolean;
}

/** A peer's figure, as bench/main.ts prints the context. */
export interface FamilyPeer {
  workload: string;
  program: string;
  value: number;
  unit: string;
}

/** What the family rows need of the bench's run. */
export interface FamiliesContext {
  /** The bench's netns: the rows make their own netns, named after it. */
  ns: string;
  /** Runs a command on the host; resolves with stdout. */
  sh: (cmd: string, ...args: string[]) => Promise<string>;
  /** Alternating rounds. */
  rounds: number;
  /** bench/.out */
  out: string;
  /** bench/ */
  here: string;
  /** Smaller data. */
  quick: boolean;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Wall time in ms of one process in `ns`, its output discarded. */
async function wall(ns: string, cmd: string, ...args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await new Deno.Command("ip", {
    args: ["netns", "exec", ns, cmd, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  }
  return ms;
}

/** Per-listing times of "ms count" lines, after `warm`, checking the count. */
function times(text: string, warm: number, count: number, who: string): number[] {
  const lines = text.trim().split("\n").map((l) => l.split(" ").map(Number));
  for (const [, n] of lines) {
    if (n !== count) throw new Error(`${who} saw ${n}, not ${count}`);
  }
  return lines.slice(warm).map(([ms]) => ms);
}

/** The flows that fill the conntrack table: python3 in the netns. */
function flows(n: number): string {
  const udp4 = Math.floor(n * 0.85), udp6 = Math.floor(n * 0.1), tcp = n - udp4 - udp6;
  return `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(${udp4}):
    s.sendto(b"x", ("127.1.%d.%d" % ((i >> 8) & 255, i & 255), 1000 + i % 50000))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(${udp6}):
    s6.sendto(b"x", ("::1", 1000 + i))
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.bind(("127.0.0.1", 80))
l.listen(1024)
for i in range(${tcp}):
    c = socket.create_connection(("127.0.0.1", 80), timeout=5)
    a, _ = l.accept()
    c.close()
    a.close()
`;
}

/**
 * The nft ruleset the nft row lists: `rules` rules (and 4 fixed ones) over
 * 3 tables and 14 chains, two named sets, anonymous sets.
 *
 * @example
 * ```ts
 * import { ruleset } from "./families.ts";
 * ruleset(100).startsWith("table ip filter {"); // true
 * ```
 */
export function ruleset(rules: number): string {
  const per = Math.floor(rules / 5);
  const L: string[] = [];
  const ip = (i: number) => `10.${(i >> 8) & 255}.${i & 255}`;
  const list = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
  L.push("table ip filter {");
  L.push(
    `  set blocked { type ipv4_addr; flags interval; elements = { ${
      list(500, (i) => `192.${168 + (i >> 8)}.${i & 255}.0/24`).join(", ")
    } } }`,
  );
  L.push(
    `  set ports { type inet_service; elements = { ${
      list(200, (i) => `${1000 + i}`).join(", ")
    } } }`,
  );
  L.push("  chain input { type filter hook input priority 0; policy accept;");
  L.push("    ct state established,related accept");
  L.push('    iifname "lo" accept');
  L.push("    ip saddr @blocked drop");
  L.push("    tcp dport @ports counter accept");
  for (let i = 0; i < per; i++) {
    L.push(`    ip saddr ${ip(i)}.0/24 tcp dport ${1 + i % 60000} counter accept`);
  }
  L.push("  }");
  L.push("  chain forward { type filter hook forward priority 0; policy drop;");
  for (let i = 0; i < per; i++) {
    L.push(
      i % 25 === 0
        ? `    ip daddr ${ip(i)}.1 udp dport { 53, 123, ${2000 + i} } accept`
        : `    iifname "b${i % 8}" ip daddr ${ip(i)}.1 meta mark 0x${
          i.toString(16)
        } counter jump user${i % 10}`,
    );
  }
  L.push("  }");
  for (let c = 0; c < 10; c++) {
    L.push(`  chain user${c} {`);
    for (let i = 0; i < per / 10; i++) {
      L.push(
        i % 2
          ? `    tcp dport ${3000 + i} limit rate ${
            1 + i % 50
          }/second log prefix "u${c}-${i} " accept`
          : `    ip saddr ${ip(i)}.2 tcp flags syn reject with tcp reset`,
      );
    }
    L.push("  }");
  }
  L.push("}");
  L.push("table ip nat {");
  L.push("  chain pre { type nat hook prerouting priority -100;");
  for (let i = 0; i < per; i++) {
    L.push(`    tcp dport ${9000 + i % 50000} ip daddr 203.0.${i & 255}.1 dnat to ${ip(i)}.5:80`);
  }
  L.push("  }");
  L.push('  chain post { type nat hook postrouting priority 100; oifname "b0" masquerade; }');
  L.push("}");
  L.push("table inet fw {");
  L.push("  chain in { type filter hook input priority 10;");
  for (let i = 0; i < per; i++) {
    L.push(
      `    ip6 saddr 2001:db8::${i.toString(16)} udp dport ${
        1 + i
      } counter drop comment "rule ${i}"`,
    );
  }
  L.push("  }");
  L.push("}");
  return L.join("\n") + "\n";
}

/** Steady-state and whole-process rows of one family against its tool. */
async function compare(
  ctx: FamiliesContext,
  o: {
    ns: string;
    what: string;
    script: string;
    count: number;
    tool: string[];
    peers: Record<string, string[]>;
  },
): Promise<{ rows: FamilyRow[]; context: FamilyPeer[] }> {
  const deno = Deno.execPath();
  const lib = [deno, "run", "--allow-ffi", "--allow-read", `${ctx.here}${o.script}`];
  const dumps = ctx.quick ? 10 : 20, warm = 5;
  const steady: number[] = [], whole: number[] = [], tool: number[] = [];
  const peers: Record<string, number[]> = Object.fromEntries(
    Object.keys(o.peers).map((k) => [k, []]),
  );
  const [cmd, ...args] = lib;
  for (let r = 0; r < ctx.rounds; r++) {
    const out = await ctx.sh("ip", "netns", "exec", o.ns, cmd, ...args, String(dumps));
    steady.push(...times(out, warm, o.count, o.script));
    whole.push(await wall(o.ns, cmd, ...args, "1"));
    tool.push(await wall(o.ns, o.tool[0], ...o.tool.slice(1)));
    for (const [k, p] of Object.entries(o.peers)) {
      peers[k].push(await wall(o.ns, p[0], ...p.slice(1)));
    }
  }
  const name = o.tool.join(" ");
  const row = (how: string, ms: number): FamilyRow => ({
    workload: `${o.what}, ${how} (reference: \`${name}\`, whole process)`,
    library: ms,
    reference: median(tool),
    unit: "ms",
    target: "<= 1.0x",
    met: ms <= median(tool),
  });
  return {
    rows: [
      row("library steady state", median(steady)),
      row("library whole process", median(whole)),
    ],
    context: [
      { workload: `${o.what}, whole process`, program: name, value: median(tool), unit: "ms" },
      ...Object.keys(o.peers).map((k) => ({
        workload: `${o.what}, whole process`,
        program: o.peers[k].join(" "),
        value: median(peers[k]),
        unit: "ms",
      })),
    ],
  };
}

/** Runs the rows asked for (`ct`, `nft`), each in a netns of its own, deleted after. */
export async function benchFamilies(
  ctx: FamiliesContext,
  which: { ct?: boolean; nft?: boolean },
): Promise<{ rows: FamilyRow[]; context: FamilyPeer[] }> {
  const rows: FamilyRow[] = [], context: FamilyPeer[] = [];
  const add = (r: { rows: FamilyRow[]; context: FamilyPeer[] }) => {
    rows.push(...r.rows), context.push(...r.context);
  };
  if (which.ct) {
    const ns = `${ctx.ns}-ct`;
    const n = ctx.quick ? 10_000 : 50_000;
    await ctx.sh("ip", "netns", "add", ns);
    try {
      await ctx.sh("ip", "-n", ns, "link", "set", "lo", "up");
      // conntrack hooks register in a netns only when a rule needs them
      await Deno.writeTextFile(
        `${ctx.out}/track.nft`,
        "table inet track {\n" +
          "  chain pre { type filter hook prerouting priority 0; ct state new counter; }\n" +
          "  chain out { type filter hook output priority 0; ct state new counter; }\n}\n",
      );
      await ctx.sh("ip", "netns", "exec", ns, "nft", "-f", `${ctx.out}/track.nft`);
      for (const s of ["udp_timeout", "tcp_timeout_time_wait"]) {
        await ctx.sh(
          "ip",
          "netns",
          "exec",
          ns,
          "sysctl",
          "-qw",
          `net.netfilter.nf_conntrack_${s}=7200`,
        );
      }
      await ctx.sh("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", flows(n));
      const count = Number(
        /(\d+)/.exec(await ctx.sh("ip", "netns", "exec", ns, "conntrack", "-C"))?.[1],
      );
      if (count < n) throw new Error(`conntrack: ${count} entries, not ${n}`);
      add(
        await compare(ctx, {
          ns,
          what: `Conntrack dump of ${count / 1000}k entries (typed ConntrackEntry)`,
          script: "ct_dump.mjs",
          count,
          tool: ["conntrack", "-L"],
          peers: {
            extended: ["conntrack", "-L", "-o", "extended"],
            xml: ["conntrack", "-L", "-o", "xml"],
          },
        }),
      );
    } finally {
      await ctx.sh("ip", "netns", "del", ns);
    }
  }
  if (which.nft) {
    const ns = `${ctx.ns}-nft`;
    const n = ctx.quick ? 1000 : 5000;
    await ctx.sh("ip", "netns", "add", ns);
    try {
      await Deno.writeTextFile(`${ctx.out}/ruleset.nft`, ruleset(n));
      await ctx.sh("ip", "netns", "exec", ns, "nft", "-f", `${ctx.out}/ruleset.nft`);
      const listed = JSON.parse(
        await ctx.sh("ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset"),
      ).nftables.filter((o: Record<string, unknown>) => "rule" in o).length;
      add(
        await compare(ctx, {
          ns,
          what: `nftables ruleset of ${listed} rules (typed NftRuleset, sets with elements)`,
          script: "nft_ruleset.mjs",
          count: listed,
          tool: ["nft", "-j", "list", "ruleset"],
          peers: { text: ["nft", "list", "ruleset"] },
        }),
      );
    } finally {
      await ctx.sh("ip", "netns", "del", ns);
    }
  }
  return { rows, context };
}
