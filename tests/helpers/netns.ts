/**
 * Throwaway network namespaces for integration tests: every test that
 * touches the kernel makes its own and deletes it, so the host's
 * interfaces are never involved.
 */

/** True when tests may create namespaces (root). */
export const canNetns: boolean = Deno.uid() === 0;

/** With CI=true nothing may skip: a missing privilege fails instead. */
export const ignoreUnlessRoot: boolean = !canNetns && Deno.env.get("CI") !== "true";

/** Runs a command; throws with its stderr when it fails. Returns stdout. */
export async function run(cmd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${text.decode(out.stderr)}`);
  }
  return text.decode(out.stdout);
}

/** A namespace made for one test. */
export interface Netns extends AsyncDisposable {
  /** Its name under /var/run/netns. */
  name: string;
  /** Runs `ip -n NAME ...args` and returns stdout. */
  ip(...args: string[]): Promise<string>;
  /** Runs `ip -j -n NAME ...args` and parses the JSON. */
  ipJson<T = unknown>(...args: string[]): Promise<T>;
}

/** Creates a fresh namespace with loopback up; `await using` deletes it. */
export async function makeNetns(): Promise<Netns> {
  const name = `nlts-${crypto.randomUUID().slice(0, 8)}`;
  await run("ip", "netns", "add", name);
  const ns: Netns = {
    name,
    ip: (...args) => run("ip", "-n", name, ...args),
    ipJson: async <T>(...args: string[]) =>
      JSON.parse(await run("ip", "-j", "-n", name, ...args) || "[]") as T,
    async [Symbol.asyncDispose]() {
      await run("ip", "netns", "del", name);
    },
  };
  await ns.ip("link", "set", "lo", "up");
  return ns;
}

/**
 * Waits until `dev` in `ns` is operationally up. The kernel activates a
 * link's qdisc and sets its operstate from a deferred work item after the
 * carrier comes on, so packets sent right after `ip link set up` may be
 * dropped by the placeholder qdisc; tests that need traffic wait here.
 */
export async function waitOperUp(ns: Netns, dev: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [l] = await ns.ipJson<{ operstate: string }[]>("link", "show", "dev", dev);
    if (l?.operstate === "UP") return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${dev} in ${ns.name} did not come up`);
}

/** Open file descriptors of this process. */
export function openFds(): number {
  let n = 0;
  for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
  return n;
}
