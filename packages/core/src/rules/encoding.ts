import { isUtf8 } from 'node:buffer';
import type { RuleProblem } from './types.js';

/** The text of a rules file, or the one problem that keeps it from being read as text. */
export type DecodedText = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly problem: RuleProblem };

/**
 * Reads the bytes of a rules file as text. UTF-8 (with or without a byte-order mark) is the
 * norm; UTF-16 with a byte-order mark is read too, as YAML 1.2 and `kubectl` read it. Anything
 * else is a problem that says what the file is, where the first bad byte is, and how to fix
 * it: never text with U+FFFD put in place of what could not be read.
 *
 * @example
 * ```ts
 * const decoded = decodeRulesText(readFileSync('opensergo.yaml'), 'opensergo.yaml');
 * if (!decoded.ok) throw rulesInvalid([decoded.problem]);
 * ```
 */
export function decodeRulesText(bytes: Uint8Array, file: string): DecodedText {
  const problem = (offset: number, message: string): DecodedText => ({ ok: false, problem: at(bytes, offset, file, message) });
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    if (bytes[2] === 0 && bytes[3] === 0) return problem(0, 'the file is UTF-32 (byte-order mark FF FE 00 00); save it as UTF-8');
    return utf16(bytes, 'utf-16le', problem);
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return utf16(bytes, 'utf-16be', problem);
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return problem(nul, 'the file holds NUL bytes: it is UTF-16 or UTF-32 without a byte-order mark, or not text at all; save it as UTF-8');
  }
  if (!isUtf8(bytes)) {
    const bad = firstInvalidUtf8(bytes);
    const hex = Array.from(bytes.subarray(bad, bad + 4), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    const more = bytes.length > bad + 4 ? '…' : '';
    return problem(bad, `not valid UTF-8 (bytes ${hex}${more}); the file is probably Latin-1 or Windows-1252: save it as UTF-8`);
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return { ok: true, text: text.startsWith('\uFEFF') ? text.slice(1) : text };
}

function utf16(bytes: Uint8Array, encoding: 'utf-16le' | 'utf-16be', problem: (offset: number, message: string) => DecodedText): DecodedText {
  if (bytes.length % 2 !== 0) return problem(bytes.length - 1, `the file is ${encoding.toUpperCase()} (it starts with its byte-order mark) but has an odd number of bytes; save it as UTF-8`);
  try {
    return { ok: true, text: new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    return problem(0, `the file starts with a ${encoding.toUpperCase()} byte-order mark but is not valid ${encoding.toUpperCase()}; save it as UTF-8`);
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || !isUtf8(bytes.subarray(i, i + length))) return i;
    i += length;
  }
  return bytes.length;
}

/** A problem at byte `offset` of a UTF-8-ish file: line and column counted in characters read so far. */
function at(bytes: Uint8Array, offset: number, file: string, message: string): RuleProblem {
  const before = bytes.subarray(0, offset);
  const lineStart = before.lastIndexOf(0x0a) + 1;
  let line = 1;
  for (let i = before.indexOf(0x0a); i >= 0; i = before.indexOf(0x0a, i + 1)) line++;
  // Characters, not bytes: count the bytes that start a character (not 10xxxxxx).
  let column = 1;
  for (let i = lineStart; i < offset; i++) if ((bytes[i]! & 0xc0) !== 0x80) column++;
  return { file, line, column, resource: 'file', field: 'encoding', message };
}
