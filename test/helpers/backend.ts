/**
 * Tests that need a real backend (prometheus, podman, tmux, openssl, kubectl, ...) call `requireBinaries`.
 * Under CI=true a missing backend fails the test loudly; locally the test is skipped with a message that
 * names the install script.
 */
import { execFileSync } from 'node:child_process';

export const INSTALL_HINT = 'bash scripts/install-test-backends.sh';

export function missingBinaries(names: string[]): string[] {
  return names.filter((n) => {
    try {
      execFileSync('sh', ['-c', `command -v ${n}`], { stdio: 'ignore' });
      return false;
    } catch (err) {
      void err; // not on PATH
      return true;
    }
  });
}

/**
 * Returns true when the test may run. In CI a missing binary throws; locally it prints why and returns false
 * (use with `it.skipIf(!haveX)` or `describe.runIf(haveX)`).
 */
export function requireBinaries(names: string[]): boolean {
  const missing = missingBinaries(names);
  if (missing.length === 0) return true;
  const message = `missing test backend(s): ${missing.join(', ')} — install with: ${INSTALL_HINT}`;
  if (process.env.CI) throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return false;
}
