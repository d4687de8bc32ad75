/** The most labels one request or call carries (docs/rules.md, "Labels are tokens"); labels beyond it are dropped. */
export const MAX_LABELS = 8;
/** The longest label, in bytes (labels are ASCII, so also in characters). */
export const MAX_LABEL_LENGTH = 64;

/**
 * Whether `label` may travel between services (docs/rules.md, "Labels are tokens"): 1–64 visible ASCII characters,
 * none of them `,`, `;`, `=`, a space or a quote. Anything else (CR/LF, non-ASCII, a label
 * longer than 64 bytes) is dropped when it arrives, never passed on, and refused when given
 * directly.
 *
 * @example
 * ```ts
 * import { isLabelToken } from '@opensergo/core';
 * isLabelToken('gray'); // true
 * isLabelToken('gray\r\nx-evil: 1'); // false
 * ```
 */
export function isLabelToken(label: string): boolean {
  const length = label.length;
  if (length === 0 || length > MAX_LABEL_LENGTH) return false;
  for (let i = 0; i < length; i++) {
    const c = label.charCodeAt(i);
    // visible ASCII is 0x21–0x7e; of those, refuse `"` (0x22), `,` (0x2c), `;` (0x3b), `=` (0x3d), `\` (0x5c)
    if (c < 0x21 || c > 0x7e || c === 0x22 || c === 0x2c || c === 0x3b || c === 0x3d || c === 0x5c) return false;
  }
  return true;
}
