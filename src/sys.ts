/**
 * The one place where `src/` reaches the FFI layer: the {@linkcode Sys}
 * contract and the runtime's implementation of it. The npm build maps
 * `ffi/deno.ts` to `ffi/node.ts`; nothing else changes.
 *
 * @module
 */
export type { Receiver, Sys } from "../ffi/sys.ts";
export { loadSys } from "../ffi/deno.ts";
