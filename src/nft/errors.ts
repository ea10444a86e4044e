/**
 * The errors of src/nft/: {@linkcode NftInputError} for what the library
 * refuses before anything is sent, {@linkcode NftBatchError} for a
 * transaction the kernel refused, naming the objects that failed.
 *
 * @module
 */
import type { NetlinkError } from "../errors.ts";

/**
 * An object that cannot be encoded: a wrong type, an unknown name, a value
 * out of range. `path` says where (`rule 2 expr 1 (cmp) data`). Nothing
 * was sent.
 *
 * @example
 * ```ts
 * import { NftInputError } from "./errors.ts";
 * const e = new NftInputError("chain.policy", 'must be "accept" or "drop", not "allow"');
 * e.message; // 'chain.policy: must be "accept" or "drop", not "allow"'
 * ```
 */
export class NftInputError extends TypeError {
  /** Where in the input the problem is. */
  readonly path: string;
  /** What is wrong there. */
  readonly problem: string;

  /** Builds the error for the field at `path`. */
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = "NftInputError";
    this.path = path;
    this.problem = problem;
  }
}

/** One message of a batch the kernel refused, and what it said. */
export interface NftFailure {
  /** The operation's index in the batch (0 is the first one added). */
  index: number;
  /** What it was: `add rule`, `delete table`, ... */
  op: string;
  /** The object it was about (the rule, chain, ... as given). */
  object: unknown;
  /** A short name of the object: `rule inet filter input #3`. */
  label: string;
  /** The kernel's error, with its extended ACK (message, offset). */
  error: NetlinkError;
  /**
   * The attribute the extended ACK points at, by the spec's names
   * (`expressions.elem[1].data`), when it points inside the message.
   */
  attribute?: string;
  /** For a rule: the index of the expression the extended ACK points into. */
  expr?: number;
}

/**
 * A batch the kernel refused as a whole: nothing of it was applied.
 * `failures` names each operation that failed, in batch order; the
 * message names the first.
 *
 * @example
 * ```ts
 * import { NftBatchError } from "./errors.ts";
 * import { NetlinkError } from "../errors.ts";
 * const e = new NftBatchError([{
 *   index: 2, op: "add rule", object: {}, label: "rule inet t c", error: new NetlinkError(2),
 * }]);
 * e.message; // "nftables batch refused, nothing applied: operation 2 (add rule inet t c): ENOENT (No such file or directory)"
 * ```
 */
export class NftBatchError extends Error {
  /** The operations that failed. */
  readonly failures: readonly NftFailure[];

  /** Builds the error from the failures (at least one). */
  constructor(failures: NftFailure[]) {
    const f = failures[0];
    const what = f
      ? `operation ${f.index} (${f.op.split(" ")[0]} ${f.label}): ${describe(f)}`
      : "no reason given";
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : "";
    super(`nftables batch refused, nothing applied: ${what}${more}`);
    this.name = "NftBatchError";
    this.failures = failures;
    this.cause = f?.error;
  }

  /** The first failure. */
  get first(): NftFailure {
    return this.failures[0];
  }
}

function describe(f: NftFailure): string {
  const e = f.error;
  let s = `${e.code} (${e.text})`;
  if (e.extAck.message) s += `: ${e.extAck.message}`;
  if (f.expr !== undefined) s += ` [expression ${f.expr}]`;
  else if (f.attribute) s += ` [${f.attribute}]`;
  return s;
}
