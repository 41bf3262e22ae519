/** Key bindings are data: the footer and the Help screen are generated from them. */
import type { Key } from 'ink';

export interface KeyBinding {
  /** Key names: a character ('r', '/', '?'), or 'up', 'down', 'enter', 'esc', 'tab', 'backspace', 'pageup', 'pagedown'. */
  keys: string[];
  label: string;
  description: string;
  /** When set, the action is shown but refuses, and pressing it says why. */
  disabledReason: string | null;
  run: () => void;
  /** Shown in the footer (the rest only in Help). */
  footer?: boolean;
  /** Mutating action (disabled in read-only mode). */
  mutating?: boolean;
}

export function keyName(input: string, key: Key): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input) return `ctrl+${input}`;
  return input;
}

export function displayKey(k: string): string {
  const map: Record<string, string> = {
    up: '↑',
    down: '↓',
    enter: 'Enter',
    esc: 'Esc',
    pageup: 'PgUp',
    pagedown: 'PgDn',
  };
  return map[k] ?? k;
}

/** Find the binding for a key; returns it even when disabled (the caller shows the reason). */
export function matchBinding(bindings: KeyBinding[], name: string): KeyBinding | undefined {
  return bindings.find((b) => b.keys.includes(name));
}
