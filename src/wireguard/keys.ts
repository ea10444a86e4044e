/**
 * WireGuard keys as `wg` shows them: 32 bytes in base64 (44 characters).
 * Key pairs come from WebCrypto's X25519 (Deno, Node and Bun have it): no
 * dependency.
 *
 * @module
 */

/**
 * Bytes of a key.
 *
 * @example
 * ```ts
 * import { KEY_LENGTH } from "./keys.ts";
 * KEY_LENGTH; // 32
 * ```
 */
export const KEY_LENGTH = 32;

const B64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/**
 * The 32 bytes of a base64 key; anything else is a TypeError naming `what`.
 *
 * @example
 * ```ts
 * import { decodeKey } from "./keys.ts";
 * decodeKey("key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").length; // 32
 * ```
 */
export function decodeKey(what: string, key: unknown): Uint8Array {
  if (typeof key !== "string" || !B64.test(key)) {
    const shown = typeof key === "string" ? JSON.stringify(key.slice(0, 50)) : typeof key;
    throw new TypeError(
      `${what}: a key is 32 bytes in base64 (44 characters, as wg shows), not ${shown}`,
    );
  }
  const bin = atob(key);
  const out = new Uint8Array(KEY_LENGTH);
  for (let i = 0; i < KEY_LENGTH; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * A key's base64 text, as `wg` prints it.
 *
 * @example
 * ```ts
 * import { encodeKey } from "./keys.ts";
 * encodeKey(new Uint8Array(32)); // "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
 * ```
 */
export function encodeKey(bytes: Uint8Array): string {
  if (bytes.length !== KEY_LENGTH) throw new TypeError(`a key is 32 bytes, not ${bytes.length}`);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * True when every byte is zero (the kernel's "no key").
 *
 * @example
 * ```ts
 * import { isZeroKey } from "./keys.ts";
 * isZeroKey(new Uint8Array(32)); // true
 * ```
 */
export function isZeroKey(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

// PKCS #8 wrapping of a raw X25519 private key (RFC 8410): the DER prefix, then 32 bytes
const PKCS8_PREFIX = [
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
];
// the curve's base point, u = 9
const BASE_POINT = new Uint8Array(32);
BASE_POINT[0] = 9;

/** Clamps a private key as `wg genkey` and the kernel do (RFC 7748). */
function clamp(k: Uint8Array): Uint8Array {
  k[0] &= 248;
  k[31] = (k[31] & 127) | 64;
  return k;
}

/**
 * A new private key (clamped, as `wg genkey` makes it), in base64.
 *
 * @example
 * ```ts
 * import { generatePrivateKey } from "./keys.ts";
 * (await generatePrivateKey()).length; // 44
 * ```
 */
export function generatePrivateKey(): Promise<string> {
  return Promise.resolve(encodeKey(clamp(crypto.getRandomValues(new Uint8Array(KEY_LENGTH)))));
}

/**
 * A new preshared key (`wg genpsk`): 32 random bytes, in base64.
 *
 * @example
 * ```ts
 * import { generatePresharedKey } from "./keys.ts";
 * generatePresharedKey().length; // 44
 * ```
 */
export function generatePresharedKey(): string {
  return encodeKey(crypto.getRandomValues(new Uint8Array(KEY_LENGTH)));
}

/**
 * The public key of a private key (`wg pubkey`): X25519 of the base point,
 * by WebCrypto.
 *
 * @example
 * ```ts
 * import { publicKeyOf } from "./keys.ts";
 * await publicKeyOf("YHC6Q0Xb6sRxBq2L5JCmAJKbqW0YvZ7f4kpiv8ng2WA=");
 * ```
 */
export async function publicKeyOf(privateKey: string): Promise<string> {
  const raw = decodeKey("publicKeyOf", privateKey);
  const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + KEY_LENGTH);
  pkcs8.set(PKCS8_PREFIX);
  pkcs8.set(raw, PKCS8_PREFIX.length);
  const subtle = crypto.subtle;
  const priv = await subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, false, ["deriveBits"]);
  const base = await subtle.importKey("raw", BASE_POINT, { name: "X25519" }, false, []);
  // X25519's parameters; typed loosely: not every TypeScript lib names the type (Node's has no DOM)
  const params = { name: "X25519", public: base } as unknown as Parameters<
    typeof subtle.deriveBits
  >[0];
  const bits = await subtle.deriveBits(params, priv, 256);
  return encodeKey(new Uint8Array(bits));
}

/** A private key and its public key, in base64. */
export interface KeyPair {
  /** The private key. */
  privateKey: string;
  /** Its public key. */
  publicKey: string;
}

/**
 * A new key pair (`wg genkey | tee priv | wg pubkey`).
 *
 * @example
 * ```ts
 * import { generateKeyPair } from "./keys.ts";
 * const { privateKey, publicKey } = await generateKeyPair();
 * ```
 */
export async function generateKeyPair(): Promise<KeyPair> {
  const privateKey = await generatePrivateKey();
  return { privateKey, publicKey: await publicKeyOf(privateKey) };
}
