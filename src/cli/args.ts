/**
 * A strict command-line parser for the tools, with the subset of
 * `node:util`'s `parseArgs` they use: long options (`--name VALUE`,
 * `--name=VALUE`), one-letter aliases (`-n VALUE`, `-nVALUE`, grouped flags
 * `-ab`), a one-character option spelt as its own alias (`-4`), defaults,
 * repeated options (`multiple`), positionals, and `--` ending the options.
 *
 * It exists because loading `node:util` costs a `deno run` about 7 ms, most
 * of what a short listing may add to start-up (issue 20). Anything outside
 * the options is an {@linkcode ArgsError}: an unknown option, a string
 * option without its value (or whose value looks like an option), a value
 * given to a flag.
 *
 * @module
 */

/** An option: its type, a one-letter alias, a default, and whether it repeats. */
export interface ArgOption {
  /** "string" takes a value; "boolean" takes none. */
  type: "string" | "boolean";
  /** A one-letter alias (`-h` for `--help`). */
  short?: string;
  /** The value when the option is not given. */
  default?: string | boolean | string[] | boolean[];
  /** Each occurrence adds to an array instead of replacing the value. */
  multiple?: boolean;
}

/** The value one option parses to. */
export type ArgValue<T extends ArgOption> = T["type"] extends "boolean"
  ? T extends { multiple: true } ? boolean[] : boolean
  : T extends { multiple: true } ? string[]
  : string;

/** The values of every option: present when given or defaulted. */
export type ArgValues<O extends Record<string, ArgOption>> =
  & { -readonly [K in keyof O as O[K] extends { default: unknown } ? never : K]?: ArgValue<O[K]> }
  & { -readonly [K in keyof O as O[K] extends { default: unknown } ? K : never]: ArgValue<O[K]> };

/** What {@linkcode parseArgs} returns. */
export interface ParsedArgs<O extends Record<string, ArgOption>> {
  /** The options' values, by name. */
  values: ArgValues<O>;
  /** The arguments that are not options, in order. */
  positionals: string[];
}

/** What was wrong with the command line. */
export type ArgsProblem = "unknown-option" | "missing-value" | "unexpected-value" | "positional";

/** A command line that does not fit the options. */
export class ArgsError extends Error {
  /** What kind of mistake. */
  readonly problem: ArgsProblem;
  /** The option (or argument) as typed, e.g. `--netns` or `-x`. */
  readonly flag: string;
  /** Builds the error for `flag`. */
  constructor(problem: ArgsProblem, flag: string) {
    super(
      problem === "unknown-option"
        ? `unknown option ${flag}`
        : problem === "missing-value"
        ? `option ${flag} needs a value`
        : problem === "unexpected-value"
        ? `option ${flag} takes no value`
        : `unexpected argument "${flag}"`,
    );
    this.name = "ArgsError";
    this.problem = problem;
    this.flag = flag;
  }
}

/**
 * Parses `args` against `options`, strictly. As with `node:util`,
 * positionals are an error unless `allowPositionals` is true.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * const { values, positionals } = parseArgs({
 *   args: ["link", "--netns", "blue", "-d"],
 *   allowPositionals: true,
 *   options: { netns: { type: "string" }, details: { type: "boolean", short: "d" } },
 * });
 * // values: { netns: "blue", details: true }, positionals: ["link"]
 * ```
 */
export function parseArgs<const O extends Record<string, ArgOption>>(
  config: { args: readonly string[]; options: O; allowPositionals?: boolean },
): ParsedArgs<O> {
  const { args, options } = config;
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) if (o.short) byShort.set(o.short, name);
  const known = (name: string) => Object.hasOwn(options, name);
  const store = (name: string, value: string | boolean) => {
    if (options[name].multiple) ((values[name] ??= []) as unknown[]).push(value);
    else values[name] = value;
  };
  const positional = (word: string) => {
    if (!config.allowPositionals) throw new ArgsError("positional", word);
    positionals.push(word);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      for (const word of args.slice(i + 1)) positional(word);
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const flag = `--${name}`;
      if (!known(name)) throw new ArgsError("unknown-option", flag);
      if (options[name].type === "boolean") {
        if (eq >= 0) throw new ArgsError("unexpected-value", flag);
        store(name, true);
      } else if (eq >= 0) store(name, arg.slice(eq + 1));
      else store(name, valueAfter(args, ++i, flag));
      continue;
    }
    if (arg.length < 2 || arg[0] !== "-") {
      positional(arg);
      continue;
    }
    // -x, -xVALUE, -abc (flags), -4 (a one-character option's own name)
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j];
      const name = byShort.get(letter) ?? (known(letter) ? letter : undefined);
      const flag = `-${letter}`;
      if (name === undefined) throw new ArgsError("unknown-option", flag);
      if (options[name].type === "boolean") {
        store(name, true);
        continue;
      }
      store(name, j + 1 < arg.length ? arg.slice(j + 1) : valueAfter(args, ++i, flag));
      break;
    }
  }
  for (const [name, o] of Object.entries(options)) {
    if (values[name] === undefined && o.default !== undefined) values[name] = o.default;
  }
  return { values: values as ArgValues<O>, positionals };
}

/** The value of a string option: the next argument, which must not look like an option. */
function valueAfter(args: readonly string[], i: number, flag: string): string {
  const value = args[i];
  if (value === undefined || (value.startsWith("-") && value.length > 1)) {
    throw new ArgsError("missing-value", flag);
  }
  return value;
}
