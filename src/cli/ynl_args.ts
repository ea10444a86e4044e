/**
 * The command line of the kernel's ynl CLI (cli.py of Linux 7.2), parsed
 * as its argparse parses it: the same options (unambiguous prefixes too),
 * the same groups of options that exclude each other, and its errors
 * (`usage: ...` and `ynl.ts: error: ...` on stderr, exit status 2).
 *
 * @example
 * ```ts
 * import { parseYnlArgs } from "./ynl_args.ts";
 * parseYnlArgs(["--family", "rt-link", "--dump", "getlink"]).dump; // "getlink"
 * ```
 *
 * @module
 */
import { NLM_F } from "../constants.ts";

/** What the command line asks for. */
export interface YnlArgs {
  /** `--list-families` */
  listFamilies: boolean;
  /** `--family NAME`: a kernel spec's file name without .yaml. */
  family?: string;
  /** `--spec FILE` */
  spec?: string;
  /** `--do OP` */
  do?: string;
  /** `--dump OP` */
  dump?: string;
  /** `--multi OP JSON`, repeated. */
  multi: [string, string][];
  /** `--list-ops` */
  listOps: boolean;
  /** `--list-msgs` */
  listMsgs: boolean;
  /** `--list-attrs MSG` (`--doc`) */
  listAttrs?: string;
  /** `--validate` */
  validate: boolean;
  /** `--json TEXT` */
  json?: string;
  /** `--output-json` */
  outputJson: boolean;
  /** `--subscribe GROUP` */
  subscribe?: string;
  /** `--duration S` / `--sleep S` */
  duration?: number;
  /** NLM_F_ bits of `--replace`, `--excl`, `--create`, `--append`. */
  flags: number;
  /** `--schema FILE` (accepted; the tables are checked when generated). */
  schema?: string;
  /** `--no-schema` */
  noSchema: boolean;
  /** `--policy` */
  policy: boolean;
  /** `--dbg-small-recv [INT]` (accepted). */
  dbgSmallRecv?: number;
  /** `--process-unknown` / `--no-process-unknown` */
  processUnknown?: boolean;
  /** `--netns NAME` (not in cli.py): the network namespace to talk to. */
  netns?: string;
}

/** The usage line, as argparse prints it for cli.py. */
export const USAGE = `usage: ynl.ts [-h] (--list-families | --family FAMILY | --spec SPEC)
              [--do DO-OPERATION | --dump DUMP-OPERATION | --multi DO-OPERATION JSON_TEXT | --list-ops | --list-msgs | --list-attrs MSG | --validate]
              [--json JSON_TEXT] [--output-json] [--policy] [--subscribe NTF]
              [--duration DURATION] [--sleep DURATION] [--replace] [--excl]
              [--create] [--append] [--schema SCHEMA] [--no-schema]
              [--dbg-small-recv [INT]] [--process-unknown | --no-process-unknown]
              [--netns NETNS]`;

const HELP = `${USAGE}

A drop-in for the kernel's YNL CLI (tools/net/ynl/pyynl/cli.py): a general
purpose netlink utility driven by the families' specs.

  --list-families       families with a spec
  --family FAMILY       the family, by its spec's file name (rt-link, ethtool)
  --spec SPEC           a kernel spec file of a generated family
  --do / --dump OP      run the operation's do or dump
  --multi OP JSON_TEXT  several do operations (repeat)
  --list-ops / --list-msgs / --list-attrs MSG / --validate
  --json JSON_TEXT      the request's attributes (and fixed header) as JSON
  --output-json         print JSON instead of Python's pprint layout
  --subscribe NTF       join a multicast group and print its notifications
  --duration / --sleep S  how long to watch when subscribed
  --replace --excl --create --append   extra NLM_F_ flags
  --process-unknown     decode what the spec lacks (default with --family)
  --netns NETNS         the network namespace to talk to (not in cli.py)`;

/** A bad command line; {@linkcode argError} prints it as argparse does. */
class YnlArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "YnlArgsError";
  }
}

/**
 * Prints a command-line error as argparse does and exits with status 2.
 *
 * @example
 * ```ts ignore
 * import { argError } from "./ynl_args.ts";
 * argError("unrecognized arguments: --x");
 * ```
 */
export function argError(message: string): never {
  // argparse prints its usage first; the status (2) is what scripts see
  console.error(`ynl.ts: error: ${message}\nTry 'ynl.ts --help'.`);
  Deno.exit(2);
}

type Kind = "value" | "flag" | "multi" | "optint";
const OPTIONS: Record<string, [Kind, string]> = {
  "--list-families": ["flag", "listFamilies"],
  "--family": ["value", "family"],
  "--spec": ["value", "spec"],
  "--do": ["value", "do"],
  "--dump": ["value", "dump"],
  "--multi": ["multi", "multi"],
  "--list-ops": ["flag", "listOps"],
  "--list-msgs": ["flag", "listMsgs"],
  "--list-attrs": ["value", "listAttrs"],
  "--doc": ["value", "listAttrs"],
  "--validate": ["flag", "validate"],
  "--json": ["value", "json"],
  "--output-json": ["flag", "outputJson"],
  "--subscribe": ["value", "subscribe"],
  "--duration": ["value", "duration"],
  "--sleep": ["value", "duration"],
  "--replace": ["flag", "replace"],
  "--excl": ["flag", "excl"],
  "--create": ["flag", "create"],
  "--append": ["flag", "append"],
  "--schema": ["value", "schema"],
  "--no-schema": ["flag", "noSchema"],
  "--policy": ["flag", "policy"],
  "--dbg-small-recv": ["optint", "dbgSmallRecv"],
  "--process-unknown": ["flag", "processUnknown"],
  "--no-process-unknown": ["flag", "noProcessUnknown"],
  "--netns": ["value", "netns"],
};
const SELECT = ["--list-families", "--family", "--spec"];
const OPS = [
  "--do",
  "--dump",
  "--multi",
  "--list-ops",
  "--list-msgs",
  "--list-attrs",
  "--validate",
];
const NLF: Record<string, number> = {
  replace: NLM_F.REPLACE,
  excl: NLM_F.EXCL,
  create: NLM_F.CREATE,
  append: NLM_F.APPEND,
};

/** The option `word` names: itself, or the one option it is a prefix of. */
function resolve(word: string): string {
  if (word in OPTIONS) return word;
  const hits = Object.keys(OPTIONS).filter((o) => o.startsWith(word));
  if (hits.length === 1) return hits[0];
  if (hits.length > 1) {
    throw new YnlArgsError(`ambiguous option: ${word} could match ${hits.join(", ")}`);
  }
  throw new YnlArgsError(`unrecognized arguments: ${word}`);
}

/**
 * Parses cli.py's command line. `-h`/`--help` prints the help and exits 0;
 * a bad one prints argparse's error and exits 2.
 *
 * @example
 * ```ts
 * import { parseYnlArgs } from "./ynl_args.ts";
 * parseYnlArgs(["--family", "netdev", "--list-ops"]).listOps; // true
 * ```
 */
export function parseYnlArgs(argv: string[]): YnlArgs {
  const a: Record<string, unknown> = { multi: [] };
  const seen: string[] = [];
  let flags = 0;
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      if (arg === "-h" || arg === "--help") {
        console.log(HELP);
        Deno.exit(0);
      }
      if (!arg.startsWith("--")) throw new YnlArgsError(`unrecognized arguments: ${arg}`);
      const eq = arg.indexOf("=");
      const opt = resolve(eq < 0 ? arg : arg.slice(0, eq));
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const [kind, key] = OPTIONS[opt];
      const canon = opt === "--doc" ? "--list-attrs" : opt === "--sleep" ? "--duration" : opt;
      for (const group of [SELECT, OPS]) {
        if (!group.includes(canon)) continue;
        const other = seen.find((s) => group.includes(s) && s !== canon);
        if (other) throw new YnlArgsError(`argument ${opt}: not allowed with argument ${other}`);
      }
      seen.push(canon);
      const next = () => {
        if (inline !== undefined) return inline;
        const v = argv[i + 1];
        if (v === undefined || (v.startsWith("-") && v.length > 1 && isNaN(Number(v)))) {
          throw new YnlArgsError(`argument ${opt}: expected one argument`);
        }
        i++;
        return v;
      };
      if (kind === "flag") {
        if (inline !== undefined) {
          throw new YnlArgsError(`argument ${opt}: ignored explicit argument '${inline}'`);
        }
        if (key in NLF) flags |= NLF[key];
        else if (key === "noProcessUnknown") a.processUnknown = false;
        else a[key] = true;
      } else if (kind === "value") {
        const v = next();
        if (key === "duration") {
          if (!/^\s*[+-]?\d+\s*$/.test(v)) {
            throw new YnlArgsError(`argument ${opt}: invalid int value: '${v}'`);
          }
          a[key] = Number(v);
        } else a[key] = v;
      } else if (kind === "multi") {
        const op = argv[i + 1], text = argv[i + 2];
        if (op === undefined || text === undefined || op.startsWith("--")) {
          throw new YnlArgsError(`argument ${opt}: expected 2 arguments`);
        }
        (a.multi as [string, string][]).push([op, text]);
        i += 2;
      } else {
        const v = inline ?? (/^\d+$/.test(argv[i + 1] ?? "") ? argv[++i] : undefined);
        a[key] = v === undefined ? 4000 : Number(v);
      }
    }
    if (!seen.some((s) => SELECT.includes(s))) {
      throw new YnlArgsError("one of the arguments --list-families --family --spec is required");
    }
  } catch (e) {
    if (e instanceof YnlArgsError) argError(e.message);
    throw e;
  }
  return {
    listFamilies: !!a.listFamilies,
    listOps: !!a.listOps,
    listMsgs: !!a.listMsgs,
    validate: !!a.validate,
    outputJson: !!a.outputJson,
    noSchema: !!a.noSchema,
    policy: !!a.policy,
    multi: a.multi as [string, string][],
    flags,
    ...(a as Partial<YnlArgs>),
  } as YnlArgs;
}
