#!/usr/bin/env node
import { runCli } from './app.js';
import { processIo, toleratePipeClosed } from './io.js';

toleratePipeClosed(process.stdout);
toleratePipeClosed(process.stderr);
process.exitCode = await runCli(process.argv.slice(2), processIo);
