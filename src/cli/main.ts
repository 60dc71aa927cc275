#!/usr/bin/env node
import module from 'node:module';

// Node 22.1 and later keep the compiled code of the modules imported below in a cache on disk,
// so later processes skip compiling it; node 20 has no such cache, and this does nothing there.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const [{ runCli }, { processIo, toleratePipeClosed }] = await Promise.all([
  import('./app.js'),
  import('./io.js'),
]);
toleratePipeClosed(process.stdout);
toleratePipeClosed(process.stderr);
process.exitCode = await runCli(process.argv.slice(2), processIo);
