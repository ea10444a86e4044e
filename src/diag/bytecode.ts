/**
 * The inet_diag filter program (INET_DIAG_REQ_BYTECODE) for port
 * conditions, so the kernel drops non-matching sockets before they are
 * sent. Layout of `struct inet_diag_bc_op` { u8 code; u8 yes; u16 no }
 * and the op codes from include/uapi/linux/inet_diag.h; a port comparison
 * is an op followed by one whose `no` holds the port (valid_port_comparison
 * in net/ipv4/inet_diag.c). Jumping past the end (`no` = rest + 4)
 * rejects; running off the end exactly accepts.
 *
 * @module
 */

/** Op codes of `enum inet_diag_bc_op_code` used here. */
export const INET_DIAG_BC = { S_EQ: 11, D_EQ: 12 } as const;

/** The ports a filter requires (all given must match). */
export interface PortFilter {
  /** Local (source) port. */
  sport?: number;
  /** Remote (destination) port. */
  dport?: number;
}

/**
 * The program for `filter`, or undefined when it has no condition.
 *
 * @example
 * ```ts
 * import { portBytecode } from "./bytecode.ts";
 * portBytecode({ sport: 80 })!.length; // 8
 * ```
 */
export function portBytecode(filter: PortFilter): Uint8Array | undefined {
  const conds: [number, number][] = [];
  for (const [key, code] of [["sport", INET_DIAG_BC.S_EQ], ["dport", INET_DIAG_BC.D_EQ]] as const) {
    const port = filter[key];
    if (port === undefined) continue;
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new RangeError(`${key} must be a port 0-65535, not ${port}`);
    }
    conds.push([code, port]);
  }
  if (conds.length === 0) return undefined;
  const len = conds.length * 8;
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  conds.forEach(([code, port], i) => {
    const at = i * 8;
    v.setUint8(at, code);
    v.setUint8(at + 1, 8); // yes: the next condition
    v.setUint16(at + 2, len - at + 4, true); // no: past the end, reject
    v.setUint16(at + 6, port, true); // the second op's `no`: the port
  });
  return out;
}
