/**
 * What every command-line tool shares: arguments parsed strictly, a usage
 * error in one or two lines with exit status 2, a runtime error in one
 * line with its cause (and the fix, where there is one) with exit status 1,
 * and never a stack trace.
 *
 * @module
 */
import { type ArgOption, ArgsError, parseArgs, type ParsedArgs } from "./args.ts";
import { NetlinkError, SyscallError } from "../errors.ts";
import { nearest, unknownName } from "../suggest.ts";

/** A mistake in the command line: reported with a pointer to `--help`, exit status 2. */
export class UsageError extends Error {
  /** Builds the error with what was wrong. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One tool: its name as typed, and its `--help` text. */
export interface Cli {
  /** E.g. `"dump.ts"`. */
  name: string;
  /** The `--help` text. */
  help: string;
}

/** An option as {@linkcode parseCli} takes it (see src/cli/args.ts). */
export type OptionSpec = ArgOption;

/** What the runtime error's explanation may use. */
export interface ErrorContext {
  /** The `--netns` given. */
  netns?: string;
  /** True when the socket is the nlrtable module's protocol. */
  nlrtable?: boolean;
}

/**
 * Parses `args` strictly: an unknown option (with the nearest known one), an
 * option without its value, a value given to a flag, or more than
 * `maxPositionals` positionals is a {@linkcode UsageError}. `-h`/`--help`
 * prints the help and exits 0.
 *
 * @example
 * ```ts ignore
 * import { parseCli } from "./usage.ts";
 * const cli = { name: "x.ts", help: "usage: x.ts [--json]" };
 * const { values } = parseCli(cli, { json: { type: "boolean" } }, 0, ["--json"]);
 * ```
 */
export function parseCli<const O extends Record<string, OptionSpec>>(
  cli: Cli,
  options: O,
  maxPositionals: number,
  args: string[] = Deno.args,
): ParsedArgs<O> {
  const end = args.indexOf("--");
  if ((end < 0 ? args : args.slice(0, end)).some((a) => a === "-h" || a === "--help")) {
    console.log(cli.help);
    Deno.exit(0);
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true });
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e;
    throw new UsageError(parseProblem(e, options));
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`);
  }
  return parsed;
}

function parseProblem(e: ArgsError, options: Record<string, OptionSpec>): string {
  if (e.problem === "unknown-option" && e.flag.startsWith("--")) {
    const known = Object.entries(options).flatMap(([n, o]) => [
      `--${n}`,
      ...(o.short ? [`-${o.short}`] : []),
    ]);
    const near = nearest(e.flag, known);
    if (near) return `${e.message} (did you mean ${near}?)`;
  }
  return e.message;
}

/**
 * A whole number in `[min, max]` from an option's text, or a UsageError
 * naming the option.
 *
 * @example
 * ```ts
 * import { intOption } from "./usage.ts";
 * intOption("--table", "254", 0, 2 ** 32 - 1); // 254
 * ```
 */
export function intOption(flag: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not "${text}"`);
  }
  return n;
}

/**
 * `word` if it is one of `choices`, else a UsageError naming the nearest
 * and the valid ones.
 *
 * @example
 * ```ts
 * import { choice } from "./usage.ts";
 * choice("kind", "route", ["link", "route"]); // "route"
 * ```
 */
export function choice<T extends string>(what: string, word: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(word)) {
    throw new UsageError(unknownName(what, word, choices));
  }
  return word as T;
}

/**
 * A runtime error in one line: its cause and, where there is one, the fix.
 *
 * @example
 * ```ts
 * import { explain } from "./usage.ts";
 * import { SyscallError } from "../errors.ts";
 * explain(new SyscallError("socket", -2, "/var/run/netns/x"), { netns: "x" });
 * // 'network namespace "x" does not exist (ip netns list shows those that do)'
 * ```
 */
export function explain(e: unknown, context: ErrorContext = {}): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: string }).code;
  const ns = context.netns;
  if (e instanceof SyscallError && e.syscall === "socket" && ns !== undefined) {
    // The socket is made inside the namespace: open(path), then setns().
    if (code === "ENOENT") {
      return `network namespace "${ns}" does not exist (ip netns list shows those that do)`;
    }
    if (code === "EPERM") {
      return `entering network namespace "${ns}" (setns) needs CAP_SYS_ADMIN: run as root`;
    }
    if (code === "EACCES") return `cannot open network namespace "${ns}": permission denied`;
    if (code === "EINVAL") return `"${ns}" is not a network namespace`;
  }
  if (code === "EPROTONOSUPPORT" && context.nlrtable) {
    return "the nlrtable module is not loaded (its netlink protocol is not supported): " +
      "insmod kmod/nlrtable.ko (make -C kmod), or run it in the VM with deno task demo";
  }
  if (code === "EPERM" && (e instanceof NetlinkError || e instanceof SyscallError)) {
    return `${e.message.split("\n")[0]}: this needs CAP_NET_ADMIN (run as root)`;
  }
  if (e instanceof NetlinkError || e instanceof SyscallError) return e.message.split("\n")[0];
  const text = e.message.split("\n")[0];
  return e.constructor === Error ? text : `${e.name}: ${text}`;
}

/**
 * Runs a tool's main: a {@linkcode UsageError} prints what was wrong and a
 * pointer to `--help` (exit 2); any other error prints one line from
 * {@linkcode explain} (exit 1). Nothing prints a stack trace.
 *
 * @example
 * ```ts ignore
 * import { runCli, UsageError } from "./usage.ts";
 * await runCli({ name: "x.ts", help: "usage: x.ts" }, async () => {
 *   throw new UsageError("no");
 * });
 * ```
 */
export async function runCli(
  cli: Cli,
  main: (context: ErrorContext) => Promise<void> | void,
): Promise<void> {
  const context: ErrorContext = {};
  try {
    await main(context);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${cli.name}: ${e.message}\nTry '${cli.name} --help'.`);
      Deno.exit(2);
    }
    console.error(`${cli.name}: ${explain(e, context)}`);
    Deno.exit(1);
  }
}
