/**
 * Lists sockets like iproute2's `ss`, through socket diagnostics.
 *
 *     deno run --allow-ffi --allow-read src/cli/ss.ts [-t] [-u] [-x] [-l|-a] [state S...]
 *
 * @module
 */
import { parseArgs } from "./args.ts";
import { type InetSocket, SockDiag, type TcpState, type UnixSocket } from "../diag/inet.ts";
import { TCP_STATE } from "../families/sock_diag.ts";
import { toJson } from "./json.ts";

const HELP = `usage: ss.ts [-t] [-u] [-x] [-l|-a] [-4|-6] [options] [state STATE...]

  -t, --tcp       TCP sockets (the default when none of -t -u -x is given)
  -u, --udp       UDP sockets
  -x, --unix      unix sockets
  -l, --listening only listening (and unconnected UDP) sockets
  -a, --all       every state (default: connected sockets)
  -n, --numeric   accepted for ss compatibility: output is always numeric
  -4, -6          only IPv4 or IPv6
  --sport N       local port (filtered in the kernel)
  --dport N       remote port (filtered in the kernel)
  --netns NAME    the network namespace to read (a name or a path)
  --json          one JSON array
  -h, --help      this text

  state STATE...  TCP states, spelt ${Object.keys(TCP_STATE).join(", ")}`;

function usage(message: string): never {
  console.error(`ss.ts: ${message} (see --help)`);
  Deno.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      tcp: { type: "boolean", short: "t" },
      udp: { type: "boolean", short: "u" },
      unix: { type: "boolean", short: "x" },
      listening: { type: "boolean", short: "l" },
      all: { type: "boolean", short: "a" },
      numeric: { type: "boolean", short: "n" },
      "4": { type: "boolean" },
      "6": { type: "boolean" },
      sport: { type: "string" },
      dport: { type: "string" },
      netns: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
} catch (e) {
  usage((e as Error).message.split("\n")[0]);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}
let states: TcpState[] | undefined;
if (positionals.length) {
  if (positionals[0] !== "state" || positionals.length < 2) usage(`unexpected ${positionals[0]}`);
  states = positionals.slice(1).map((s) =>
    Object.hasOwn(TCP_STATE, s) ? s as TcpState : usage(`unknown state ${s}`)
  );
} else if (values.listening) states = ["listen", "close"];
else if (!values.all) {
  states = (Object.keys(TCP_STATE) as TcpState[]).filter((s) => s !== "listen" && s !== "close");
}
const port = (name: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= 0xffff
    ? n
    : usage(`${name} must be a port, not ${v}`);
};
const sport = port("--sport", values.sport);
const dport = port("--dport", values.dport);
if (values["4"] && values["6"]) usage("-4 and -6 exclude each other");
const family = values["4"] ? 4 : values["6"] ? 6 : undefined;
const kinds = values.tcp || values.udp || values.unix
  ? { tcp: values.tcp, udp: values.udp, unix: values.unix }
  : { tcp: true, udp: false, unix: false };

type Row = (InetSocket | UnixSocket) & { netid: string };
const rows: Row[] = [];
try {
  await using diag = await SockDiag.open({ netns: values.netns });
  for (const protocol of ["tcp", "udp"] as const) {
    if (!kinds[protocol]) continue;
    for (const s of await diag.inet({ protocol, family, states, sport, dport })) {
      rows.push({ ...s, netid: protocol });
    }
  }
  if (kinds.unix && sport === undefined && dport === undefined && family === undefined) {
    for (const s of await diag.unix()) {
      if (!states || states.includes(s.state)) {
        rows.push({ ...s, netid: "u_" + s.type.slice(0, 3) });
      }
    }
  }
} catch (e) {
  console.error(`ss.ts: ${(e as Error).message.split("\n")[0]}`);
  Deno.exit(1);
}

if (values.json) {
  console.log(toJson(rows.map(({ attrs, ...r }) => ({ ...r, attrs }))));
} else {
  const ep = (a: string, p: number, v6: boolean) => `${v6 ? `[${a}]` : a}:${p || "*"}`;
  console.log(
    "Netid State        Recv-Q Send-Q Local                  Peer                   Inode Uid",
  );
  for (const r of rows) {
    const [local, peer] = "sport" in r
      ? [ep(r.src, r.sport, r.family === 6), ep(r.dst, r.dport, r.family === 6)]
      : [r.name ?? "*", String(r.peer || "*")];
    console.log(
      [
        r.netid.padEnd(5),
        r.state.padEnd(12),
        String(r.rqueue).padStart(6),
        String(r.wqueue).padStart(6),
        local.padEnd(22),
        peer.padEnd(22),
        String(r.inode).padStart(5),
        String(r.uid ?? ""),
      ].join(" "),
    );
  }
}
