/** Where the CLI writes: lines to standard output and standard error. */
export interface Output {
  log(line: string): void;
  err(line: string): void;
}
