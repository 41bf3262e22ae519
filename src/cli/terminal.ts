/** Entering and leaving the alternate screen, and restoring the terminal on every way out. */
export interface TerminalGuard {
  restore(): void;
}

export function enterTerminal(stdout: NodeJS.WriteStream, altScreen: boolean): TerminalGuard {
  let restored = false;
  if (stdout.isTTY) {
    if (altScreen) stdout.write('\u001b[?1049h');
    stdout.write('\u001b[?25l');
  }
  return {
    restore() {
      if (restored) return;
      restored = true;
      if (stdout.isTTY) {
        stdout.write('\u001b[0m\u001b[?25h');
        if (altScreen) stdout.write('\u001b[?1049l');
      }
      if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
    },
  };
}
