import v8 from 'node:v8';
import { run } from './program.js';

// PGlite's WebAssembly runs on the baseline compiler only: optimising it in the background costs a short
// command more than it gains (and holds up the event loop for a few hundred ms after PGlite opens).
v8.setFlagsFromString('--no-wasm-tier-up');
v8.setFlagsFromString('--no-wasm-dynamic-tiering');

process.exitCode = await run(process.argv);
