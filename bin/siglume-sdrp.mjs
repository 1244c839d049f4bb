#!/usr/bin/env node
// Both bin names (siglume-sdrp, siglume-check) run this one program. Kept tiny:
// the CLI loads each command's modules only when that command runs.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
