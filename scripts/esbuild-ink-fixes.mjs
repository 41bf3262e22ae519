// Ink 6.8's incremental renderer moves the cursor up one line too few when the previous frame ended with a
// newline (every frame shorter than the terminal does), so each update draws one row lower and the
// screen scrolls into garbage. Fixed here at bundle time; test/e2e checks the screen stays intact.
import { readFile } from 'node:fs/promises';

const BROKEN = 'buffer.push(ansiEscapes.cursorUp(previousVisible - 1));';
const FIXED =
  "buffer.push(ansiEscapes.cursorUp(previousVisible - (previousOutput.endsWith('\\n') ? 0 : 1)));";

export const inkFixes = {
  name: 'ink-fixes',
  setup(b) {
    b.onLoad({ filter: /[\\/]ink[\\/]build[\\/]log-update\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(BROKEN)) {
        throw new Error(`ink-fixes: ${args.path} changed upstream; re-check the incremental cursor fix`);
      }
      return { contents: source.replace(BROKEN, FIXED), loader: 'js' };
    });
  },
};
