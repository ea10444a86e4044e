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
 * The generated module registers a factory; it runs on the family's first
 * decode, so that a program that loads a family and never decodes pays
 * only for parsing it.
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

/** What generated decoders call back into (given to their factory). */
export interface DecoderHelpers {
  /** The interpreter's decoding of attribute `index` of `set` (kinds decoded generically). */
  value(ad: AttributeDecoder, parent: Attrs, set: string, index: number): unknown;
  /** Keeps an attribute the set does not know under `parent.unknown`. */
  unknown(ad: AttributeDecoder, parent: Attrs): void;
  /** The interpreter's decoding of a struct (for one cut short or out of range). */
  struct(name: string, b: Uint8Array, at: number, len: number): Attrs;
  /** A DataView over the whole buffer of `b` (offsets then add `b.byteOffset`). */
  view(b: Uint8Array): DataView;
  /** A NUL-padded string member of `size` bytes at `b[at..]`. */
  string(b: Uint8Array, at: number, size: number): string;
}

/** The generic codec's side of the helpers, set by ./codec.ts. */
export interface Interpreter {
  /** Decodes attribute `index` of `set` as the interpreter does. */
  value(f: FamilySpec, ad: AttributeDecoder, parent: Attrs, set: string, index: number): unknown;
  /** Decodes a struct as the interpreter does. */
  struct(f: FamilySpec, name: string, b: Uint8Array, at: number, len: number): Attrs;
}

type Factory = (h: DecoderHelpers) => Decoders;

const factories = new WeakMap<FamilySpec, Factory>();
const compiled = new WeakMap<FamilySpec, Decoders | null>();
let interpreter: Interpreter | undefined;

/** Called once by ./codec.ts with the interpreter the helpers fall back to. */
export function setInterpreter(i: Interpreter): void {
  interpreter = i;
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

function unknown(ad: AttributeDecoder, parent: Attrs): void {
  const u = (parent.unknown ??= {}) as Record<number, Uint8Array[]>;
  (u[ad.type] ??= []).push(ad.value());
}

/**
 * Registers the compiled decoders of `f` (called by its generated module).
 *
 * @example
 * ```ts ignore
 * registerDecoders(rtLink, (h) => ({ sets: {}, structs: {} }));
 * ```
 */
export function registerDecoders(f: FamilySpec, factory: Factory): void {
  factories.set(f, factory);
  compiled.delete(f);
}

/**
 * The compiled decoders of `f`, if its module registered some (built on
 * the first call).
 *
 * @example
 * ```ts ignore
 * const d = decodersOf(rtLink);
 * ```
 */
export function decodersOf(f: FamilySpec): Decoders | undefined {
  let d = compiled.get(f);
  if (d === undefined) {
    const factory = factories.get(f);
    const i = interpreter;
    if (!i) return undefined; // ./codec.ts not loaded yet: nothing to fall back to
    d = factory
      ? factory({
        value: (ad, parent, set, index) => i.value(f, ad, parent, set, index),
        unknown,
        struct: (name, b, at, len) => i.struct(f, name, b, at, len),
        view,
        string,
      })
      : null;
    compiled.set(f, d);
  }
  return d ?? undefined;
}
