/**
 * Helpers for the tests that run inside the VM, where the nlrtable module
 * is loaded (see kmod/vm/harness.ts). They run as root there.
 */
import assert from "node:assert/strict";
import { NetlinkError } from "../../mod.ts";

/** Expects a `NetlinkError` with this code (and extended-ACK text). */
export async function rejectsWith(
  p: Promise<unknown>,
  code: string,
  message?: RegExp,
): Promise<NetlinkError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof NetlinkError, `expected NetlinkError ${code}, got ${caught}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.extAck.message ?? "", message);
  return caught;
}

/** Runs a command; returns its status and output. */
export async function exec(
  cmd: string,
  ...args: string[]
): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const t = new TextDecoder();
  return { code: r.code, out: t.decode(r.stdout) + t.decode(r.stderr) };
}

/** Reloads the module with these parameters ("" for the defaults). */
export async function reload(...params: string[]): Promise<void> {
  const rm = await exec("rmmod", "nlrtable");
  assert.equal(rm.code, 0, `rmmod: ${rm.out}`);
  const ins = await exec("insmod", "/nlrtable.ko", ...params);
  assert.equal(ins.code, 0, `insmod: ${ins.out}`);
}

/**
 * A command that runs a Deno script as the unprivileged user nobody, with
 * every capability dropped (util-linux setpriv).
 */
export function asNobody(script: string, ...args: string[]): Deno.Command {
  return new Deno.Command("/usr/bin/setpriv", {
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "--inh-caps=-all",
      "--bounding-set=-all",
      Deno.execPath(),
      "run",
      "-A",
      "--no-check",
      "--no-config",
      new URL(script, import.meta.url).pathname,
      ...args,
    ],
    env: { DENO_DIR: "/tmp/deno-nobody", HOME: "/tmp" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Reads stdout lines of a child as they come. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
  if (buf) yield buf;
}
