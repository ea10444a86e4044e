/**
 * The generated nftables family (Linux 7.2's nftables.yaml with
 * tools/specs/nftables.supplement.yaml merged in) against the kernel's own
 * headers: every attribute of the sets src/nft/ speaks has the number
 * include/uapi/linux/netfilter/nf_tables.h gives it, every attribute the
 * header has is in the set, and the values the supplement adds (families,
 * hooks, groups, subsystems, limit, nat, set policies, data types, ct
 * state bits) are the header's. The headers come from Debian's
 * linux-source-7.2, like the specs (tools/fetch_specs.ts). And the generic
 * client, speaking only the generated family, decodes what `nft -f` loads
 * as `nft -j` shows it.
 */
import assert from "node:assert/strict";
import {
  CHAIN_FLAGS,
  CT_STATE,
  DATA_TYPES,
  LIMIT_FLAGS,
  LIMIT_TYPES,
  NAT_TYPES,
  NF_INET_HOOKS,
  NF_NETDEV_HOOKS,
  NFNL_GROUPS,
  NFNL_SUBSYS,
  NFPROTO,
  nftables,
  SET_POLICIES,
} from "../src/families/nftables.ts";
import { fetchUapiHeaders } from "../tools/fetch_specs.ts";
import { FamilyClient } from "../src/ynl/mod.ts";
import { loadSys } from "../src/sys.ts";
import { ignoreUnlessRoot, makeNetns } from "./helpers/netns.ts";
import { nftFile, nftJson } from "./helpers/nft.ts";
import { requireTools } from "./helpers/tools.ts";

loadSys();

// the headers come from Debian's linux-source-7.2; with CI=true this never skips
const ignore = Deno.uid() !== 0 && Deno.env.get("CI") !== "true";

/** A C header without comments and preprocessor conditionals. */
function clean(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "")
    .replace(/^\s*#\s*(if|ifdef|ifndef|else|elif|endif)\b.*$/gm, "");
}

/** Evaluates a C constant expression of numbers, known names, `%`, `+`, `<<`, `|` and parentheses. */
function evaluate(expr: string, known: ReadonlyMap<string, number>): number {
  const tokens = expr.match(/0x[0-9a-f]+|\d+|[A-Za-z_]\w*|<<|[()+%|]/gi) ?? [];
  let i = 0;
  const atom = (): number => {
    const t = tokens[i++];
    if (t === "(") {
      const v = sum();
      assert.equal(tokens[i++], ")", expr);
      return v;
    }
    if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) return Number(t);
    const v = known.get(t);
    assert.ok(v !== undefined, `${t} in ${expr} is unknown`);
    return v;
  };
  const mod = (): number => {
    let v = atom();
    while (tokens[i] === "%") i++, v %= atom();
    return v;
  };
  const add = (): number => {
    let v = mod();
    while (tokens[i] === "+") i++, v += mod();
    return v;
  };
  const shift = (): number => {
    let v = add();
    while (tokens[i] === "<<") i++, v = (v * 2 ** add()) >>> 0;
    return v;
  };
  const sum = (): number => {
    let v = shift();
    while (tokens[i] === "|") i++, v = (v | shift()) >>> 0;
    return v;
  };
  const v = sum();
  assert.equal(i, tokens.length, `${expr}: not a constant expression this test reads`);
  return v;
}

/** A header's constants: every enumerator and object-like `#define` by its C name, and each named enum's. */
interface Header {
  all: Map<string, number>;
  enums: Map<string, Map<string, number>>;
}

function constants(text: string, into: Header): void {
  const src = clean(text);
  for (const m of src.matchAll(/\benum\s*(\w*)\s*\{([^}]*)\}/g)) {
    const entries = new Map<string, number>();
    let next = 0;
    for (const part of m[2].replace(/^\s*#.*$/gm, "").split(",")) {
      const e = /^\s*([A-Za-z_]\w*)\s*(?:=\s*([^]*?))?\s*$/.exec(part);
      if (!e) continue;
      const v = e[2] === undefined
        ? next
        : evaluate(e[2].replace(/\b(0x[0-9a-f]+|\d+)U\b/gi, "$1"), into.all);
      into.all.set(e[1], v);
      entries.set(e[1], v);
      next = v + 1;
    }
    if (m[1]) into.enums.set(m[1], entries);
  }
  for (const m of src.matchAll(/^\s*#\s*define\s+([A-Za-z_]\w*)[ \t]+([^\n]+)$/gm)) {
    try {
      into.all.set(m[1], evaluate(m[2].trim(), into.all));
    } catch {
      // not a constant (a macro with arguments, a type, a string)
    }
  }
}

/** Attribute sets of the generated family and the enum of nf_tables.h that numbers each. */
const SETS = new Map([
  ["table-attrs", "nft_table_attributes"],
  ["chain-attrs", "nft_chain_attributes"],
  ["rule-attrs", "nft_rule_attributes"],
  ["set-attrs", "nft_set_attributes"],
  ["setelem-attrs", "nft_set_elem_attributes"],
  ["setelem-list-attrs", "nft_set_elem_list_attributes"],
  ["set-desc-attrs", "nft_set_desc_attributes"],
  ["expr-lookup-attrs", "nft_lookup_attributes"],
  ["expr-limit-attrs", "nft_limit_attributes"],
  ["expr-redir-attrs", "nft_redir_attributes"],
  ["expr-nat-attrs", "nft_nat_attributes"],
  ["expr-masq-attrs", "nft_masq_attributes"],
  ["expr-ct-attrs", "nft_ct_attributes"],
  ["expr-meta-attrs", "nft_meta_attributes"],
  ["expr-payload-attrs", "nft_payload_attributes"],
  ["expr-cmp-attrs", "nft_cmp_attributes"],
  ["expr-bitwise-attrs", "nft_bitwise_attributes"],
  ["expr-immediate-attrs", "nft_immediate_attributes"],
  ["expr-counter-attrs", "nft_counter_attributes"],
  ["expr-reject-attrs", "nft_reject_attributes"],
  ["log-attrs", "nft_log_attributes"],
  ["data-attrs", "nft_data_attributes"],
  ["verdict-attrs", "nft_verdict_attributes"],
  ["nft-hook-attrs", "nft_hook_attributes"],
  ["gen-attrs", "nft_gen_attributes"],
  ["batch-attrs", "nfnl_batch_attributes"],
  ["expr-list-attrs", "nft_list_attributes"],
]);

/** Where the spec's name is not the header's: set -> spec name -> C name without the prefix. */
const RENAMED: Record<string, Record<string, string>> = {
  "nft-hook-attrs": { num: "HOOKNUM" },
};

/** The attributes of an nf_tables.h enum by their names without the common prefix; its __*_MAX. */
function headerAttrs(h: Header, tag: string): { attrs: Map<string, number>; max: number } {
  const e = h.enums.get(tag);
  assert.ok(e, `nf_tables.h has no enum ${tag}`);
  const unspec = [...e.keys()].find((k) => k.endsWith("_UNSPEC"));
  assert.ok(unspec, `enum ${tag} has no *_UNSPEC`);
  const prefix = unspec.slice(0, -"UNSPEC".length);
  const attrs = new Map<string, number>();
  let max = -1;
  for (const [k, v] of e) {
    if (k === `__${prefix}MAX`) max = v;
    else if (k !== unspec) attrs.set(k.slice(prefix.length), v);
  }
  assert.ok(max > 0, `enum ${tag} has no __${prefix}MAX`);
  return { attrs, max };
}

async function headers(): Promise<Header> {
  const dir = await fetchUapiHeaders();
  const h: Header = { all: new Map(), enums: new Map() };
  for (
    const f of [
      "netfilter.h",
      "netfilter/nfnetlink.h",
      "netfilter/nf_tables.h",
      "netfilter/nf_conntrack_common.h",
    ]
  ) constants(await Deno.readTextFile(`${dir}/${f}`), h);
  return h;
}

Deno.test({
  name: "nftables: every attribute of the sets src/nft speaks has nf_tables.h's number",
  ignore,
  async fn() {
    const h = await headers();
    assert.equal(h.all.get("NFTA_CHAIN_PAD"), 9, "the header parses");
    for (const [set, tag] of SETS) {
      const { attrs: want, max } = headerAttrs(h, tag);
      const have = new Map(
        nftables.sets[set].attrs.map((
          a,
        ) => [RENAMED[set]?.[a.name] ?? a.name.toUpperCase().replaceAll("-", "_"), a.type]),
      );
      assert.deepEqual(
        Object.fromEntries([...have].sort((a, b) => a[1] - b[1])),
        Object.fromEntries([...want].sort((a, b) => a[1] - b[1])),
        `${set} against enum ${tag}`,
      );
      // __*_MAX is one past the last: the set ends where the enum does
      assert.equal(Math.max(...have.values()) + 1, max, `${set}: the last is ${tag}'s`);
    }
  },
});

Deno.test({
  name: "nftables: the values the supplement adds are the headers'",
  ignore,
  async fn() {
    const h = (await headers()).all;
    const expect = (table: Readonly<Record<string, number>>, c: Record<string, string>) => {
      assert.deepEqual(Object.keys(table).sort(), Object.keys(c).sort());
      for (const [name, cname] of Object.entries(c)) {
        assert.equal(table[name], h.get(cname), `${name} is ${cname}`);
      }
    };
    const upper = (prefix: string, table: Readonly<Record<string, number>>) =>
      Object.fromEntries(
        Object.keys(table).map((k) => [k, prefix + k.toUpperCase().replaceAll("-", "_")]),
      );
    expect(NFPROTO, upper("NFPROTO_", NFPROTO));
    expect(NF_INET_HOOKS, {
      prerouting: "NF_INET_PRE_ROUTING",
      input: "NF_INET_LOCAL_IN",
      forward: "NF_INET_FORWARD",
      output: "NF_INET_LOCAL_OUT",
      postrouting: "NF_INET_POST_ROUTING",
      ingress: "NF_INET_INGRESS",
    });
    expect(NF_NETDEV_HOOKS, upper("NF_NETDEV_", NF_NETDEV_HOOKS));
    expect(NFNL_GROUPS, upper("NFNLGRP_", NFNL_GROUPS));
    expect(NFNL_SUBSYS, {
      ...upper("NFNL_SUBSYS_", NFNL_SUBSYS),
      nftcompat: "NFNL_SUBSYS_NFT_COMPAT",
    });
    expect(NAT_TYPES, upper("NFT_NAT_", NAT_TYPES));
    expect(LIMIT_TYPES, upper("NFT_LIMIT_", LIMIT_TYPES));
    expect(LIMIT_FLAGS, { inv: "NFT_LIMIT_F_INV" });
    expect(SET_POLICIES, { performance: "NFT_SET_POL_PERFORMANCE", memory: "NFT_SET_POL_MEMORY" });
    expect(DATA_TYPES, upper("NFT_DATA_", DATA_TYPES));
    assert.equal(nftables.mcastGroups.mgmt, h.get("NFNLGRP_NFTABLES"));
    // NF_CT_STATE_BIT(ctinfo) is 1 << ((ctinfo) % IP_CT_IS_REPLY + 1)
    const bit = (c: string) => 1 << (h.get(c)! % h.get("IP_CT_IS_REPLY")! + 1);
    assert.deepEqual({ ...CT_STATE }, {
      invalid: h.get("NF_CT_STATE_INVALID_BIT"),
      established: bit("IP_CT_ESTABLISHED"),
      related: bit("IP_CT_RELATED"),
      new: bit("IP_CT_NEW"),
      untracked: h.get("NF_CT_STATE_UNTRACKED_BIT"),
    });
    // the message types are (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_*
    for (const [op, c] of [["newrule", "NFT_MSG_NEWRULE"], ["getsetelem", "NFT_MSG_GETSETELEM"]]) {
      assert.equal(
        nftables.ops[op].do!.request!.value,
        (h.get("NFNL_SUBSYS_NFTABLES")! << 8) | h.get(c)!,
      );
    }
  },
});

Deno.test({
  name: "nftables: the generic client decodes what nft -f loads as nft -j shows it",
  ignore: ignoreUnlessRoot,
  async fn() {
    await requireTools("nft");
    await using ns = await makeNetns();
    await nftFile(
      ns,
      `table inet fw {
        set ok4 { type ipv4_addr; flags timeout; timeout 2h; elements = { 10.0.0.1 timeout 1h } }
        chain in {
          type filter hook input priority 0; policy drop;
          ip saddr @ok4 limit rate 10/second burst 5 packets accept
        }
      }`,
    );
    const nft = await nftJson(ns);
    await using c = await FamilyClient.open(nftables, { netns: ns.name });
    const header = { nfgenFamily: NFPROTO.inet, version: 0, resId: 0 };
    const all = async (op: string, attrs = {}) => {
      const out = [];
      for await (const m of c.dump(op, { header, attrs })) out.push(m.attrs);
      return out;
    };

    // NFTA_CHAIN_FLAGS is 10 (after NFTA_CHAIN_PAD): a base chain says so
    const [chain] = await all("getchain");
    const [nftChain] = nft.chain;
    assert.equal(chain.name, nftChain.name);
    assert.equal(chain.handle, BigInt(nftChain.handle));
    assert.equal(chain.flags, CHAIN_FLAGS.base);
    assert.equal(chain.type, nftChain.type);
    assert.deepEqual(chain.hook, {
      num: NF_INET_HOOKS[nftChain.hook as "input"],
      priority: nftChain.prio,
    });
    assert.equal(chain.policy, 0, nftChain.policy); // NF_DROP

    // limit (which the kernel's expr-ops lacks) and lookup (whose order it misstates)
    const [rule] = await all("getrule");
    const [nftRule] = nft.rule;
    assert.equal(rule.handle, BigInt(nftRule.handle));
    const exprs = (rule.expressions as { elem: { name: string; data: Record<string, unknown> }[] })
      .elem;
    const byName = Object.fromEntries(exprs.map((e) => [e.name, e.data]));
    const nftLimit = nftRule.expr.find((e: Record<string, unknown>) => e.limit).limit;
    assert.deepEqual(nftLimit, { rate: 10, burst: 5, per: "second" });
    assert.deepEqual(byName.limit, {
      rate: BigInt(nftLimit.rate),
      unit: 1n, // seconds
      burst: nftLimit.burst,
      type: LIMIT_TYPES.pkts,
      flags: 0,
    });
    const nftMatch = nftRule.expr.find((e: Record<string, unknown>) => e.match).match;
    assert.equal(byName.lookup.set, nftMatch.right.slice(1)); // "@ok4"
    assert.equal(byName.lookup.sreg, byName.payload.dreg);
    assert.equal(byName.lookup.dreg, undefined);

    // NFTA_SET_TIMEOUT and NFTA_SET_ELEM_TIMEOUT are be64 milliseconds
    const [set] = await all("getset");
    const [nftSet] = nft.set;
    assert.equal(set.timeout, BigInt(nftSet.timeout) * 1000n);
    const [list] = await all("getsetelem", { table: "fw", set: "ok4" });
    const [elem] = (list.elements as { elem: Record<string, unknown>[] }).elem;
    const nftElem = nftSet.elem[0].elem;
    assert.deepEqual(elem.key, { value: new Uint8Array([10, 0, 0, 1]) });
    assert.equal(nftElem.val, "10.0.0.1");
    assert.equal(elem.timeout, BigInt(nftElem.timeout) * 1000n);
    assert.ok((elem.expiration as bigint) <= (elem.timeout as bigint));
  },
});
