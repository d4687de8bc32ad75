/** Where the engine writes its few lines (start-up notices, transitions). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Prefixes every line with `[opensergo]` and writes to the console. */
export const consoleLogger: Logger = {
  info: (message) => console.info(`[opensergo] ${message}`),
  warn: (message) => console.warn(`[opensergo] ${message}`),
  error: (message) => console.error(`[opensergo] ${message}`),
};

/** Discards everything (`logger: false`). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
