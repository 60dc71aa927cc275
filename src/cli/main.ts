#!/usr/bin/env node
import module from 'node:module';

// Node 22.1 and later keep the compiled code of the modules imported below in a cache on disk,
// so later processes skip compiling it; node 20 has no such cache, and this does nothing there.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const [{ runCli }, { flushed, processIo, toleratePipeClosed }] = await Promise.all([
  import('./app.js'),
  import('./io.js'),
]);
toleratePipeClosed(process.stdout);
toleratePipeClosed(process.stderr);
process.exitCode = await runCli(process.argv.slice(2), processIo);
// Every output is written and every worker stopped by now. Leaving by the end of the event loop
// would also tear the heap down, 40-60 ms of a short run on a 2-core machine; exit() skips that,
// once what is still buffered for a pipe (written asynchronously on some systems) has gone.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit();
