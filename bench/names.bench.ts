/**
 * What names cost, and where: `deno bench bench/names.bench.ts`. The
 * decoded objects the family client returns (and RouteView, and the `map`
 * paths) hold raw numbers and pay nothing; names are a view taken on
 * demand (`named()`, or `ynlReply()` as the kernel's ynl shows a message),
 * and the encoders take names only where a value is not already a number.
 * No kernel needed.
 */
import { AttributeDecoder, Message, MessageWriter } from "../mod.ts";
import { decodeAttrs, encodeAttrs, named, pyJson, ynlReply } from "../src/ynl/mod.ts";
import { rtLink } from "../src/families/rt_link.ts";
import { rtAddr } from "../src/families/rt_addr.ts";

const lw = new MessageWriter().begin(16 /* RTM_NEWLINK */);
lw.fixed(16);
encodeAttrs(rtLink, "link-attrs", lw, {
  ifname: "eth0",
  mtu: 1500,
  txqlen: 1000,
  operstate: 6,
  address: new Uint8Array(6),
  linkinfo: { kind: "veth" },
});
const [linkMsg] = Message.parseAll(lw.finish().slice());
const attrsAt = () =>
  new AttributeDecoder(linkMsg.data, linkMsg.offset + 16 + 16, linkMsg.offset + linkMsg.length);

Deno.bench("decodeAttrs: a link (raw numbers, what FamilyClient returns)", {
  group: "decode",
  baseline: true,
}, () => {
  decodeAttrs(rtLink, "link-attrs", attrsAt());
});
Deno.bench(
  "decodeAttrs + named(): the same with ynl's names (opt-in view)",
  { group: "decode" },
  () => {
    named(rtLink, "link-attrs", decodeAttrs(rtLink, "link-attrs", attrsAt()));
  },
);
Deno.bench(
  "ynlReply(): the message as the kernel's ynl shows it (CLI)",
  { group: "decode" },
  () => {
    ynlReply(
      rtLink,
      rtLink.ops.getlink,
      linkMsg.data.subarray(linkMsg.offset + 16, linkMsg.offset + linkMsg.length),
    );
  },
);
Deno.bench("ynlReply() + pyJson(): what ynl.ts --output-json prints", { group: "decode" }, () => {
  pyJson(
    ynlReply(
      rtLink,
      rtLink.ops.getlink,
      linkMsg.data.subarray(linkMsg.offset + 16, linkMsg.offset + linkMsg.length),
    ),
  );
});

const w = new MessageWriter(4096);
Deno.bench("encodeAttrs: address flags as a number", { group: "encode", baseline: true }, () => {
  w.reset().begin(20);
  w.fixed(8);
  encodeAttrs(rtAddr, "addr-attrs", w, { flags: 0x82, address: new Uint8Array([10, 0, 0, 1]) });
  w.finish();
});
Deno.bench("encodeAttrs: the same by names and text", { group: "encode" }, () => {
  w.reset().begin(20);
  w.fixed(8);
  encodeAttrs(rtAddr, "addr-attrs", w, { flags: ["permanent", "nodad"], address: "10.0.0.1" });
  w.finish();
});
