import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Work written once and run two ways: a generator that `yield`s wherever it may pause
 * (between documents, between rules). Start-up runs it at once with {@link runSync}, so a bad
 * rules file still throws synchronously; a reload runs it with {@link runSliced}, so a large
 * rule set never holds the event loop for more than a few milliseconds at a time.
 */
export type Steps<T> = Generator<void, T, void>;

/**
 * Runs `steps` to the end without pausing.
 *
 * @example
 * ```ts
 * const { documents } = runSync(parseRulesSteps(text, 'opensergo.yaml'));
 * ```
 */
export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** How long a reload may hold the event loop before it lets other work (requests) run. */
export const SLICE_MS = 5;

/**
 * Runs `steps`, giving the event loop a turn (`setImmediate`) whenever `sliceMs` have passed
 * since the last one. `onPause` is told each time (tests count the pauses).
 *
 * @example
 * ```ts
 * const { documents } = await runSliced(parseRulesSteps(text, 'opensergo.yaml'));
 * ```
 */
export async function runSliced<T>(steps: Steps<T>, sliceMs = SLICE_MS, onPause?: () => void): Promise<T> {
  let deadline = performance.now() + sliceMs;
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() < deadline) continue;
    onPause?.();
    await nextTurn();
    deadline = performance.now() + sliceMs;
  }
}
