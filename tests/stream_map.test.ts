/**
 * `mapStream`, the iterator behind every family's decoded dump: it must
 * behave as the async generator it replaced (`for await` + `yield`) does:
 * started on the first `next()`, ended upstream when the consumer leaves or
 * the mapper throws, errors renamed only when they come from upstream.
 * Then a real dump through it: leaving early, then the socket goes on.
 */
import assert from "node:assert/strict";
import { mapStream, SKIP } from "../src/stream_map.ts";
import { NETLINK, NetlinkError, NetlinkSocket } from "../mod.ts";
import { rtLink, type RtLinkOps } from "../src/families/rt_link.ts";
import { rtRoute, type RtRouteOps } from "../src/families/rt_route.ts";
import { FamilyClient } from "../src/ynl/family.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns } from "./helpers/netns.ts";

// libc stays loaded for the life of the process: load it before the
// resource sanitizer starts counting.
if (!ignoreUnlessRoot) loadSys();

/** An upstream that records what was asked of it. */
function upstream(items: number[], failAt?: number) {
  const log: string[] = [];
  let i = 0;
  const it: AsyncIterator<number> = {
    next() {
      log.push("next");
      if (i === failAt) return Promise.reject(new Error(`upstream ${i}`));
      return Promise.resolve(
        i < items.length ? { value: items[i++], done: false } : { value: undefined, done: true },
      );
    },
    return() {
      log.push("return");
      return Promise.resolve({ value: undefined, done: true });
    },
  };
  return { it, log };
}

Deno.test("mapStream: maps, skips, and starts on the first next()", async () => {
  const up = upstream([1, 2, 3, 4, 5]);
  let started = 0;
  const s = mapStream(() => (started++, up.it), (n) => n % 2 ? n * 10 : SKIP);
  assert.equal(started, 0);
  assert.deepEqual(await Array.fromAsync(s), [10, 30, 50]);
  assert.equal(started, 1);
  assert.deepEqual(await s.next(), { value: undefined, done: true });
  assert.equal(up.log.filter((x) => x === "next").length, 6);
});

Deno.test("mapStream: upstream errors go through onError, the mapper's do not", async () => {
  const up = upstream([1, 2, 3], 2);
  const s = mapStream(
    () => up.it,
    (n) => n,
    (e) => new TypeError(`named: ${(e as Error).message}`),
  );
  assert.equal((await s.next()).value, 1);
  assert.equal((await s.next()).value, 2);
  await assert.rejects(s.next(), { name: "TypeError", message: "named: upstream 2" });
  assert.deepEqual(await s.next(), { value: undefined, done: true });
  const boom = new Error("boom");
  const up2 = upstream([1, 2, 3]);
  const t = mapStream(() => up2.it, (n) => {
    if (n === 2) throw boom;
    return n;
  }, () => new Error("renamed"));
  assert.equal((await t.next()).value, 1);
  await assert.rejects(t.next(), (e) => e === boom);
  // a throwing mapper ends upstream, as leaving a for await would
  assert.deepEqual(up2.log, ["next", "next", "return"]);
  assert.deepEqual(await t.next(), { value: undefined, done: true });
});

Deno.test("mapStream: return() and break end upstream; a failing start rejects", async () => {
  const up = upstream([1, 2, 3]);
  for await (const n of mapStream(() => up.it, (n) => n)) if (n === 1) break;
  assert.deepEqual(up.log, ["next", "return"]);
  let started = false;
  const never = mapStream(() => (started = true, upstream([]).it), (n) => n);
  assert.deepEqual(await never.return!(), { value: undefined, done: true });
  assert.equal(started, false);
  const bad = mapStream<number, number>(() => {
    throw new RangeError("bad request");
  }, (n) => n);
  await assert.rejects(bad.next(), RangeError);
  assert.deepEqual(await bad.next(), { value: undefined, done: true });
});

Deno.test("a family's dump left early: the socket goes on", {
  ignore: ignoreUnlessRoot,
}, async () => {
  await using ns = await makeNetns();
  for (let i = 0; i < 20; i++) {
    await ns.ip("link", "add", `v${i}a`, "type", "veth", "peer", `v${i}b`);
  }
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name });
  const link = FamilyClient.attach<RtLinkOps>(rtLink, sock);
  const all = await link.dumpAll("getlink");
  assert.ok(all.length >= 1);
  for await (const l of link.dump("getlink")) {
    assert.equal(typeof l.attrs.ifname, "string");
    break;
  }
  // the abandoned dump was drained: the next one is whole
  const again = await Array.fromAsync(link.dump("getlink"));
  assert.deepEqual(again.map((l) => l.attrs.ifname), all.map((l) => l.attrs.ifname));
  // a kernel error is named with its operation
  await assert.rejects(
    link.doMessages("getlink", { header: { ifiIndex: 0x7fffffff } }),
    /RTM_GETLINK/,
  );
});

Deno.test("a family's dump error is a named NetlinkError, collected or streamed", {
  ignore: ignoreUnlessRoot,
}, async () => {
  await using ns = await makeNetns();
  await using sock = NetlinkSocket.open(NETLINK.ROUTE, { netns: ns.name });
  const route = FamilyClient.attach<RtRouteOps>(rtRoute, sock);
  // a strict socket's route dump with a prefix length in its header: EINVAL
  const bad = { header: { rtmFamily: 2, rtmDstLen: 8 } };
  // caught by hand, boxed: assert.rejects (and a handler's return) would
  // adopt a thrown promise
  for (
    const run of [
      () => route.dumpAll("getroute", bad),
      () => Array.fromAsync(route.dump("getroute", bad)),
    ]
  ) {
    const { e } = await run().then(() => ({ e: undefined }), (e) => ({ e }));
    assert.ok(e instanceof NetlinkError, `not a NetlinkError: ${e}`);
    assert.match(e.message, /^RTM_GETROUTE: EINVAL/);
  }
});
