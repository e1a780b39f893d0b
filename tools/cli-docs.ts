/** Prints the command reference of docs/cli.md (generated from the definitions): `npm run docs:cli`. */
import { cliReference } from './cli/docs.js';

process.stdout.write(cliReference());
