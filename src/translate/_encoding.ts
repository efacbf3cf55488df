/**
 * Small encodings translation needs: base64 of bytes and UTF-8 text, and a stable short hash.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Base64 of bytes. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Bytes of a base64 string; throws on invalid input. */
export function base64ToBytes(b64: string): Uint8Array {
  return binaryToBytes(atob(b64));
}

/** Bytes of a binary string (one character per byte, as `atob` returns). */
export function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** URL-safe base64 of a UTF-8 string, without padding. */
export function textToBase64Url(text: string): string {
  return bytesToBase64(encoder.encode(text)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The UTF-8 string inside URL-safe base64; throws on invalid input. */
export function base64UrlToText(b64: string): string {
  const std = b64.replaceAll("-", "+").replaceAll("_", "/");
  return decoder.decode(base64ToBytes(std + "=".repeat((4 - (std.length % 4)) % 4)));
}

/** FNV-1a 32-bit hash as 8 hex digits: deterministic, for aliases that must survive a round trip. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
