// The real clock, counting timers that were set and have neither fired nor been cleared.
import { systemClock, type Clock, type Timer } from '../../src/clock.js';

export function countingClock(): Clock & { readonly live: number } {
  const live = new Set<Timer>();
  return {
    now: () => systemClock.now(),
    setTimer(callback, delayMs) {
      const timer: Timer = systemClock.setTimer(() => {
        live.delete(timer);
        callback();
      }, delayMs);
      live.add(timer);
      return timer;
    },
    clearTimer(timer) {
      live.delete(timer);
      systemClock.clearTimer(timer);
    },
    get live() {
      return live.size;
    },
  };
}
