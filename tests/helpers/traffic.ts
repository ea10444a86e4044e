/**
 * Traffic between test namespaces without ping: veth pairs, and one-way
 * UDP with python3 whose receiver reports the source address it saw.
 * Every wait is bounded (the receiver gives up after 1.5 s).
 */
import { type Netns, run, waitOperUp } from "./netns.ts";

/** Prints the source address of the first UDP datagram on argv[1], or "timeout" after argv[2] s. */
const RECV = "import socket,sys\n" +
  "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',int(sys.argv[1])))\n" +
  "s.settimeout(float(sys.argv[2]))\n" +
  "try:\n  d,a=s.recvfrom(100); print(a[0])\nexcept socket.timeout: print('timeout')\n";
/** Sends argv[3] datagrams to argv[1]:argv[2], 50 ms apart. */
const SEND = "import socket,sys,time\n" +
  "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n" +
  "for i in range(int(sys.argv[3])):\n" +
  "  try: s.sendto(b'x',(sys.argv[1],int(sys.argv[2])))\n  except OSError: pass\n  time.sleep(0.05)\n";

/** The source `to` sees of UDP sent from `from` to addr:port, or "timeout" (bounded: ~1.5 s). */
export async function udpSource(
  from: Netns,
  to: Netns,
  addr: string,
  port: number,
): Promise<string> {
  const recv = new Deno.Command("ip", {
    args: ["netns", "exec", to.name, "python3", "-c", RECV, String(port), "1.5"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await run("ip", "netns", "exec", from.name, "python3", "-c", SEND, addr, String(port), "20");
  const out = await recv.output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** A veth pair from `a` (`an`, `aAddr`) to `b` (`bn`, `bAddr`), both ends up. */
export async function vethPair(
  a: Netns,
  an: string,
  aAddr: string,
  b: Netns,
  bn: string,
  bAddr: string,
): Promise<void> {
  await a.ip("link", "add", an, "type", "veth", "peer", "name", bn, "netns", b.name);
  await a.ip("addr", "add", aAddr, "dev", an);
  await b.ip("addr", "add", bAddr, "dev", bn);
  await a.ip("link", "set", an, "up");
  await b.ip("link", "set", bn, "up");
  await waitOperUp(a, an);
  await waitOperUp(b, bn);
}
