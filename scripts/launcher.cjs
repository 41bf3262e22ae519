#!/usr/bin/env node
// The `oncall` bin (copied to dist/oncall.cjs by scripts/build.mjs): loads the bundle dist/oncall-app.cjs
// with compiled code cached between runs, so V8 does not re-parse the bundle on every start:
// - the bundle: vm.Script with V8 cachedData kept in $XDG_CACHE_HOME/oncall (0700),
//   keyed by Node version and the bundle's size and mtime; V8 rejects data that does not match.
//   Written once, right after the first frame (the TUI emits 'oncall:first-frame'), or at exit, so it
//   holds the functions start-up ran (measured faster than Node 22's compile cache for this file);
// - Node 22+: module.enableCompileCache() too, for the backend libraries required after the first frame.
/* eslint-disable @typescript-eslint/no-require-imports -- the launcher is CommonJS by design (see above) */
'use strict';
const Module = require('node:module');
const path = require('node:path');

const bundle = path.join(__dirname, 'oncall-app.cjs');
const cacheDir = path.join(
  process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache'),
  'oncall',
);

function loadWithCodeCache() {
  const fs = require('node:fs');
  const vm = require('node:vm');
  // The bundle starts with bin/oncall.ts's shebang, which is not JavaScript inside a function wrapper.
  const source = fs.readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  const st = fs.statSync(bundle);
  const dir = cacheDir;
  const key = `${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs)}`;
  const cacheFile = path.join(dir, `code-${key}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch (err) {
    if (err.code !== 'ENOENT') process.emitWarning(`oncall: code cache unreadable: ${err.message}`);
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const m = new Module(bundle, module);
  m.filename = bundle;
  m.paths = Module._nodeModulePaths(__dirname);
  m.loaded = true;
  if (!cachedData || script.cachedDataRejected) {
    let saved = false;
    let problem = null;
    const save = () => {
      if (saved) return;
      saved = true;
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, cacheFile);
      } catch (err) {
        // A cache is an optimisation: never fail a run for it; say why once the terminal is back.
        problem = err.message;
      }
    };
    // The TUI announces its first frame: cache exactly what start-up compiled (smaller, and less to
    // deserialise next time than a cache taken later, which would also hold the adapters' code).
    process.once('oncall:first-frame', () => setImmediate(save));
    process.once('exit', () => {
      save();
      if (problem) process.stderr.write(`oncall: code cache not written (${dir}): ${problem}\n`);
    });
  }
  script.runInThisContext()(m.exports, Module.createRequire(bundle), m, bundle, __dirname);
}

// Node 22+: Node's own compile cache for what is required later (the backend libraries in dist/vendor).
if (typeof Module.enableCompileCache === 'function') Module.enableCompileCache(path.join(cacheDir, 'node'));
if (process.env.ONCALL_NO_CACHE) {
  require(bundle);
} else {
  loadWithCodeCache();
}
