/**
 * Everything a remote source sends is untrusted text on its way to a terminal.
 * `sanitizeText` removes escape sequences (CSI, OSC incl. OSC 52 / OSC 8, DCS, SOS/PM/APC),
 * C0/C1 controls, bidi overrides and zero-width characters, and bounds the length.
 */

// ESC-introduced sequences: CSI, OSC/DCS/SOS/PM/APC strings (terminated by BEL or ST), and two-byte escapes.
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][\s\S]*?(?:\u0007|\u001b\\|$)|[ -/]*[0-~]?)/g;
// 8-bit C1 forms of CSI (0x9b) and OSC/DCS/SOS/PM/APC strings (0x9d, 0x90, 0x98, 0x9e, 0x9f).
const C1_SEQUENCE = /\u009b[0-?]*[ -/]*[@-~]|[\u0090\u0098\u009d\u009e\u009f][\s\S]*?(?:\u0007|\u009c|$)/g;
// Remaining C0 (except none: tabs and newlines become spaces), DEL, C1 controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Bidi embeddings/overrides/isolates, zero-width and invisible formatting characters, BOM.
const INVISIBLE =
  /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u206a-\u206f\ufeff\u00ad\u061c\u180e]/g;

export const DEFAULT_MAX_LENGTH = 512;

export function sanitizeText(input: unknown, maxLength = DEFAULT_MAX_LENGTH): string {
  if (input === null || input === undefined) return '';
  let text = typeof input === 'string' ? input : String(input);
  text = text
    .replace(/[\t\r\n]+/g, ' ')
    .replace(ESCAPE_SEQUENCE, '')
    .replace(C1_SEQUENCE, '')
    .replace(CONTROL, '')
    .replace(INVISIBLE, '');
  if (text.length > maxLength) text = `${text.slice(0, Math.max(0, maxLength - 1))}…`;
  return text;
}

/** Sanitise every string in a plain JSON-like value (keys and values). */
export function sanitizeDeep<T>(value: T, maxLength = DEFAULT_MAX_LENGTH): T {
  if (typeof value === 'string') return sanitizeText(value, maxLength) as T;
  if (Array.isArray(value)) return value.map((v) => sanitizeDeep(v, maxLength)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[sanitizeText(k, 128)] = sanitizeDeep(v, maxLength);
    }
    return out as T;
  }
  return value;
}
