import v8 from 'node:v8';
import { run } from './program.js';

// PGlite's WebAssembly runs on the baseline compiler only: optimising it in the background costs a short
// command more than it gains (and holds up the event loop for a few hundred ms after PGlite opens).
v8.setFlagsFromString('--no-wasm-tier-up');
v8.setFlagsFromString('--no-wasm-dynamic-tiering');

// `porta … | head` closes the pipe early: end quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await run(process.argv);
