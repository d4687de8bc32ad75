// The two ways of running a framework's scenarios for one session (one set of server
// processes). Both append to `run.samples` (and, paired, `run.baseline`: the bare twin's
// sample taken at the same time), one entry per round.
import { hammer } from './load.js';

const progress = (framework, round, rounds) => process.stderr.write(`\r${framework}: round ${round}/${rounds} `);

/**
 * Unmeasured load just before each measurement. A server idle for a while (its turn comes
 * every few seconds) ran its first ~second up to 1.5× slower, and not equally for two
 * identical processes; a short burst first measures it in the steady state, as under
 * continuous traffic.
 */
const SETTLE_SECONDS = 0.5;

/**
 * Sequential (the default): one scenario at a time, rounds interleaving them
 * (bare, ours, peer, bare, …), so the load generator and the server never compete with
 * another server. Each variant is later compared with the bare run of the same round.
 * @param {string} framework
 * @param {{ server: object, samples: object[] }[]} runs bare first
 * @param {{ rounds: number, seconds: number }} options
 */
export async function sequentialRounds(framework, runs, { rounds, seconds }) {
  for (let round = 1; round <= rounds; round++) {
    progress(framework, round, rounds);
    for (const run of runs) {
      await hammer(run.server, SETTLE_SECONDS);
      run.samples.push(await hammer(run.server, seconds));
    }
  }
  process.stderr.write('\n');
}

/**
 * Paired (`--paired`): each scenario runs at the same time as its own bare twin on the same
 * CPU, with the same load. Whatever the machine does during those seconds hits both alike, so
 * the ratio of their CPU time per request is far steadier than a ratio of throughputs measured
 * seconds apart. Each scenario has its own twin, idle and busy when it is: a twin shared by
 * all scenarios would stay hot while they cool down between turns (V8 shrinks an idle heap),
 * and came out up to 20% "faster". The bare scenario is paired too: an A/A check whose ratios
 * should come out at 1.
 * @param {string} framework
 * @param {{ server: object, twin: object, samples: object[], baseline?: object[] }[]} runs
 * @param {{ rounds: number, seconds: number }} options
 */
export async function pairedRounds(framework, runs, { rounds, seconds }) {
  for (let round = 1; round <= rounds; round++) {
    progress(framework, round, rounds);
    for (const run of runs) {
      await Promise.all([hammer(run.server, SETTLE_SECONDS), hammer(run.twin, SETTLE_SECONDS)]);
      // Alternate which load starts first, in case starting first is an advantage.
      const [base, sample] =
        round % 2
          ? await Promise.all([hammer(run.twin, seconds), hammer(run.server, seconds)])
          : (await Promise.all([hammer(run.server, seconds), hammer(run.twin, seconds)])).reverse();
      (run.baseline ??= []).push(base);
      run.samples.push(sample);
    }
  }
  process.stderr.write('\n');
}
