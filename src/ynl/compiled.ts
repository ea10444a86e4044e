/**
 * Decoders the generator compiles from a family's tables (one function per
 * attribute set and per struct, in src/families/*.ts), and what they call
 * back into: the interpreting codec (./codec.ts) for the attributes they do
 * not decode themselves, and for structs cut short. They decode to exactly
 * what the interpreter does; what they change is how: a `switch` on the type
 * and stores by name, so that V8 builds each decoded object with a fixed
 * shape instead of a dictionary (an object of more than 16 keys stored by
 * computed names becomes one), and no table is looked up per attribute.
 *
 * The decoders are functions at the top of the generated module, so that
 * V8 compiles each one when it first runs, not all of them at once.
 *
 * @module
 */
import type { AttributeDecoder } from "../attribute.ts";
import type { FamilySpec } from "./schema.ts";
import type { Attrs } from "./struct.ts";

/** A compiled attribute-set decoder: every attribute of the cursor, decoded. */
export type SetDecoder = (ad: AttributeDecoder) => Attrs;

/** A compiled struct decoder: the struct at `b[at, at + len)`. */
export type StructDecoder = (b: Uint8Array, at?: number, len?: number) => Attrs;

/** A family's compiled decoders, by set and struct name. */
export interface Decoders {
  /** Attribute sets. */
  readonly sets: Readonly<Record<string, SetDecoder>>;
  /** Structs. */
  readonly structs: Readonly<Record<string, StructDecoder>>;
}

/** What generated decoders call back into. */
export interface DecoderHelpers {
  /** The interpreter's decoding of attribute `index` of `set` (kinds decoded generically). */
  value(f: FamilySpec, ad: AttributeDecoder, parent: Attrs, set: string, index: number): unknown;
  /** Keeps an attribute the set does not know under `parent.unknown`. */
  unknown(ad: AttributeDecoder, parent: Attrs): void;
  /** The interpreter's decoding of a struct (for one cut short or out of range). */
  struct(f: FamilySpec, name: string, b: Uint8Array, at: number, len: number): Attrs;
  /** A DataView over the whole buffer of `b` (offsets then add `b.byteOffset`). */
  view(b: Uint8Array): DataView;
  /** A NUL-padded string member of `size` bytes at `b[at..]`. */
  string(b: Uint8Array, at: number, size: number): string;
  /** A constructor of empty plain objects with room for a set's attributes (see `shape`). */
  shape(): new () => Attrs;
}

/** The interpreter's side of the helpers, set by ./codec.ts and ./struct.ts. */
export interface Interpreter {
  /** Decodes attribute `index` of `set` as the interpreter does. */
  value?(f: FamilySpec, ad: AttributeDecoder, parent: Attrs, set: string, index: number): unknown;
  /** Decodes a struct as the interpreter does. */
  struct?(f: FamilySpec, name: string, b: Uint8Array, at: number, len: number): Attrs;
}

const compiled = new WeakMap<FamilySpec, Decoders>();
const interpreter: Interpreter = {};

/** Called by ./codec.ts and ./struct.ts with what the helpers fall back to. */
export function setInterpreter(i: Interpreter): void {
  Object.assign(interpreter, i);
}

const utf8 = new TextDecoder();
let lastBuffer: ArrayBufferLike | undefined;
let lastView: DataView | undefined;

function view(b: Uint8Array): DataView {
  if (b.buffer !== lastBuffer) {
    lastBuffer = b.buffer;
    lastView = new DataView(b.buffer);
  }
  return lastView!;
}

function string(b: Uint8Array, at: number, size: number): string {
  const s = b.subarray(at, at + size);
  const nul = s.indexOf(0);
  return utf8.decode(nul < 0 ? s : s.subarray(0, nul));
}

/**
 * A constructor of plain objects (their prototype is Object.prototype, as
 * for `{}`) that V8 gives room for 64 properties in the object itself: it
 * sizes a constructor's objects by the `this.x =` it sees in its body, run
 * or not, then shrinks them to what the first few objects used. A `{}`
 * has room for 4, and each property past those regrows an array beside the
 * object: a link's 45 attributes allocated 2.5 KB that way. One per set, so
 * that each set's objects get their own size.
 */
function shape(): new () => Attrs {
  // deno-lint-ignore no-explicit-any
  function Shape(this: any, fill?: boolean) {
    if (fill) {
      this.a0 =
        this.a1 =
        this.a2 =
        this.a3 =
        this.a4 =
        this.a5 =
        this.a6 =
        this.a7 =
        this.a8 =
        this.a9 =
        this.b0 =
        this.b1 =
        this.b2 =
        this.b3 =
        this.b4 =
        this.b5 =
        this.b6 =
        this.b7 =
        this.b8 =
        this.b9 =
        this.c0 =
        this.c1 =
        this.c2 =
        this.c3 =
        this.c4 =
        this.c5 =
        this.c6 =
        this.c7 =
        this.c8 =
        this.c9 =
        this.d0 =
        this.d1 =
        this.d2 =
        this.d3 =
        this.d4 =
        this.d5 =
        this.d6 =
        this.d7 =
        this.d8 =
        this.d9 =
        this.e0 =
        this.e1 =
        this.e2 =
        this.e3 =
        this.e4 =
        this.e5 =
        this.e6 =
        this.e7 =
        this.e8 =
        this.e9 =
        this.f0 =
        this.f1 =
        this.f2 =
        this.f3 =
        this.f4 =
        this.f5 =
        this.f6 =
        this.f7 =
        this.f8 =
        this.f9 =
        this.g0 =
        this.g1 =
        this.g2 =
        this.g3 =
          0;
    }
  }
  Shape.prototype = Object.prototype;
  return Shape as unknown as new () => Attrs;
}

function unknown(ad: AttributeDecoder, parent: Attrs): void {
  const u = (parent.unknown ??= {}) as Record<number, Uint8Array[]>;
  (u[ad.type] ??= []).push(ad.value());
}

/**
 * What generated decoders call back into.
 *
 * @example
 * ```ts ignore
 * const o = new (helpers.shape())();
 * ```
 */
export const helpers: DecoderHelpers = {
  value: (f, ad, parent, set, index) => interpreter.value!(f, ad, parent, set, index),
  unknown,
  struct: (f, name, b, at, len) => interpreter.struct!(f, name, b, at, len),
  view,
  string,
  shape,
};

/**
 * Registers the compiled decoders of `f` (called by its generated module).
 *
 * @example
 * ```ts ignore
 * registerDecoders(rtLink, { sets: {}, structs: {} });
 * ```
 */
export function registerDecoders(f: FamilySpec, decoders: Decoders): void {
  compiled.set(f, decoders);
}

/**
 * The compiled decoders of `f`, if its module registered some.
 *
 * @example
 * ```ts ignore
 * const d = decodersOf(rtLink);
 * ```
 */
export function decodersOf(f: FamilySpec): Decoders | undefined {
  return compiled.get(f);
}
