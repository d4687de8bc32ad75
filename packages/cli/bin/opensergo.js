#!/usr/bin/env node
// The `opensergo` command: see `opensergo --help`.
import { main } from '@opensergo/cli';

process.exitCode = await main(process.argv.slice(2));
