#!/usr/bin/env node
// Both bin names (siglume-sdrp, siglume-check) run this one program. Kept tiny:
// `--help` / `--version` answer without loading commander, and every command
// loads its own modules only when it runs.
import { run } from '../dist/cli.js';

process.exitCode = await run(process.argv.slice(2));
