/** Drive a program inside a private tmux server: send keys one per call, wait on screen content. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TmuxSession {
  dir: string;
  capture(opts?: { escapes?: boolean }): string;
  send(...keys: string[]): void;
  sendText(text: string): void;
  waitFor(predicate: string | RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
  resize(columns: number, rows: number): void;
  paneDead(): boolean;
  paneExitStatus(): number | null;
  kill(): void;
}

export function startTmux(
  command: string,
  opts: { columns?: number; rows?: number; env?: Record<string, string> } = {},
): TmuxSession {
  const dir = mkdtempSync(join(tmpdir(), 'oncall-tmux-'));
  const sock = join(dir, 'tmux.sock');
  const t = (...args: string[]) => execFileSync('tmux', ['-S', sock, ...args], { encoding: 'utf8' });
  const env = Object.entries(opts.env ?? {})
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  t(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-s',
    'ui',
    '-x',
    String(opts.columns ?? 80),
    '-y',
    String(opts.rows ?? 24),
    `env ${env} ${command}`,
  );
  t('set-option', '-t', 'ui', 'remain-on-exit', 'on');
  const session: TmuxSession = {
    dir,
    capture: ({ escapes = false } = {}) => t('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'ui'),
    // Special keys one per call: tmux delivers several in one call as one chunk.
    send: (...keys) => keys.forEach((k) => t('send-keys', '-t', 'ui', k)),
    sendText: (text) => void t('send-keys', '-t', 'ui', '-l', text),
    async waitFor(predicate, timeoutMs = 15_000) {
      const test =
        typeof predicate === 'string'
          ? (s: string) => s.includes(predicate)
          : predicate instanceof RegExp
            ? (s: string) => predicate.test(s)
            : predicate;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const screen = session.capture();
        if (test(screen)) return screen;
        if (Date.now() > deadline)
          throw new Error(`tmux screen never matched ${String(predicate)}; screen:\n${screen}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    resize: (columns, rows) => void t('resize-window', '-t', 'ui', '-x', String(columns), '-y', String(rows)),
    paneDead: () => t('display', '-p', '-t', 'ui', '#{pane_dead}').trim() === '1',
    paneExitStatus: () => {
      const s = t('display', '-p', '-t', 'ui', '#{pane_dead_status}').trim();
      return s === '' ? null : Number(s);
    },
    kill() {
      try {
        t('kill-server');
      } catch (err) {
        void err; // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return session;
}
