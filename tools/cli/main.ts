#!/usr/bin/env node
/**
 * The `mlmesh` executable (package.json `bin`): `mlmesh --help` lists every command, each
 * command has `--help`, docs/cli.md has them all. See program.ts for exit codes.
 */
import { run } from './program.js';

// exitCode rather than exit(): stdout may still be flushing into a pipe.
process.exitCode = await run(process.argv.slice(2));
