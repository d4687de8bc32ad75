import { parseArgs } from 'node:util';
import { explain, parseHeaders } from './explain.js';
import type { Output } from './output.js';
import { validate } from './validate.js';

const USAGE = `usage:
  opensergo validate <files…> [--app NAME] [--namespace NS]
      Check rules files as one rule set, as a service loading them would. Exit 1 with every problem.
  opensergo explain <files…> <METHOD> <url> [-H 'Name: value']… [--app NAME] [--namespace NS]
      Show a request's resource, traffic labels, the checks that apply in order, and what a
      fresh engine with these rules decides.`;

const console: Output = { log: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) };

/**
 * Runs the `opensergo` command with `argv` (without `node` and the script); resolves to the
 * exit code: 0 fine, 1 invalid rules, 2 wrong usage or an unreadable file.
 *
 * @example
 * ```js
 * import { main } from '@opensergo/cli';
 * process.exitCode = await main(['validate', 'opensergo.yaml']);
 * ```
 */
export async function main(argv: readonly string[], out: Output = console): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        app: { type: 'string' },
        namespace: { type: 'string' },
        header: { type: 'string', short: 'H', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    out.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') {
    out.log(USAGE);
    return 0;
  }
  const scope = { app: values.app, namespace: values.namespace };
  if (command === 'validate' && rest.length > 0) return validate(rest, scope, out);
  if (command === 'explain' && rest.length >= 3) {
    const headers = parseHeaders(values.header ?? []);
    if (typeof headers === 'string') {
      out.err(headers);
      return 2;
    }
    const url = rest.at(-1)!;
    const method = rest.at(-2)!;
    if (!url.startsWith('/')) {
      out.err(`the url must be a path such as /foo?x=1, got '${url}'`);
      return 2;
    }
    return explain(rest.slice(0, -2), method, url, headers, scope, out);
  }
  out.err(USAGE);
  return 2;
}
