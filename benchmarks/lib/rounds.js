// Fresh server processes for every measurement, and one measurement of one HTTP scenario.
import { hammer } from './load.js';
import { startServer } from './server-process.js';

/**
 * Starts a server process for each scenario, warms them up together, runs `body` with them
 * and closes them.
 *
 * Why every measurement gets new processes: on these VMs a server process keeps, for its
 * whole life, a speed it drew at start. Identical servers differed by up to 20%, and which
 * ones were slow followed the order the processes were started in (of six identical servers
 * started together, the fifth and sixth were 15% slower in every session). Servers kept
 * alive across rounds turned that into a fixed bias per scenario. A new process per
 * measurement, with no other server alive, makes the draw independent each round, and the
 * median over rounds discards the unlucky ones.
 * @template T
 * @param {object[]} scenarios
 * @param {{ warmup: number, serverOptions?: object }} options `warmup` in seconds: a server's
 *   first few thousand requests run colder code (and smaller heaps); with 1 s of warm-up,
 *   the first measurement after it came out up to 2× slower
 * @param {(servers: Awaited<ReturnType<typeof startServer>>[]) => Promise<T>} body
 * @returns {Promise<T>}
 */
export async function withFreshServers(scenarios, { warmup, serverOptions = {} }, body) {
  const servers = [];
  try {
    for (const scenario of scenarios) servers.push(await startServer(scenario, serverOptions));
    await Promise.all(servers.map((server) => hammer(server, warmup)));
    return await body(servers);
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}

/**
 * One measurement of `run.scenario`, appended to `run.samples` (paired: the bare twin's
 * sample taken at the same time to `run.baseline`).
 *
 * Sequential (the default): the scenario's server alone is measured.
 * Paired (`--paired`): it runs at the same time as a fresh bare twin on the same CPU, with the
 * same load, so whatever the machine does during those seconds hits both alike. Which of the
 * two loads starts first alternates with `round`.
 * @param {{ scenario: object, samples: object[], baseline?: object[] }} run
 * @param {{ bare: object, paired: boolean, round: number, warmup: number, seconds: number, serverOptions: object }} options
 */
export function measureFresh(run, { bare, paired, round, warmup, seconds, serverOptions }) {
  const scenarios = paired ? [run.scenario, bare] : [run.scenario];
  return withFreshServers(scenarios, { warmup, serverOptions }, async ([server, twin]) => {
    run.warnings = server.warnings;
    run.startupMs = server.startupMs;
    if (!twin) {
      run.samples.push(await hammer(server, seconds));
      return;
    }
    const [sample, base] =
      round % 2
        ? (await Promise.all([hammer(twin, seconds), hammer(server, seconds)])).reverse()
        : await Promise.all([hammer(server, seconds), hammer(twin, seconds)]);
    run.samples.push(sample);
    (run.baseline ??= []).push(base);
  });
}
