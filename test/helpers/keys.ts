/** Key names used by bindings (src/hooks/bindings.ts) → the bytes a terminal sends. */
export const KEY_BYTES: Record<string, string> = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  pageup: '\u001b[5~',
  pagedown: '\u001b[6~',
  enter: '\r',
  esc: '\u001b',
  tab: '\t',
  backspace: '\u007f',
  'ctrl+c': '\u0003',
};

export function keyBytes(name: string): string {
  return KEY_BYTES[name] ?? name;
}
