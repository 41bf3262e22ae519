// Ink 6.8's incremental renderer moves the cursor up one line too few when the previous frame ended with a
// newline (every frame shorter than the terminal does), so each update draws one row lower and the
// screen scrolls into garbage. Fixed here at bundle time; test/e2e checks the screen stays intact.
import { readFile } from 'node:fs/promises';

const BROKEN = 'buffer.push(ansiEscapes.cursorUp(previousVisible - 1));';
const FIXED =
  "buffer.push(ansiEscapes.cursorUp(previousVisible - (previousOutput.endsWith('\\n') ? 0 : 1)));";

// Ink asks `is-in-ci` (CI / CONTINUOUS_INTEGRATION set) and then draws nothing until exit. An operator whose
// shell happens to export CI would get a blank screen; the terminal is what matters: only without a TTY is
// it treated as CI. test/e2e runs the binary with CI=true to keep this honest.
const IS_IN_CI = `import { env, stdout } from 'node:process';
const check = (key) => key in env && env[key] !== '0' && env[key] !== 'false';
export default (check('CI') || check('CONTINUOUS_INTEGRATION')) && !stdout.isTTY;
`;

export const inkFixes = {
  name: 'ink-fixes',
  setup(b) {
    b.onResolve({ filter: /^is-in-ci$/ }, () => ({ path: 'is-in-ci', namespace: 'oncall-is-in-ci' }));
    b.onLoad({ filter: /.*/, namespace: 'oncall-is-in-ci' }, () => ({ contents: IS_IN_CI, loader: 'js' }));
    b.onLoad({ filter: /[\\/]ink[\\/]build[\\/]log-update\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(BROKEN)) {
        throw new Error(`ink-fixes: ${args.path} changed upstream; re-check the incremental cursor fix`);
      }
      return { contents: source.replace(BROKEN, FIXED), loader: 'js' };
    });
  },
};
