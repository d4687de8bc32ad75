/** A push item that cannot be used, with the field that says why (the push is NACKed with it). */
export class FieldError extends Error {}

/** Throws a {@link FieldError} for `field`. */
export function fail(field: string, message: string): never {
  throw new FieldError(`${field}: ${message}`);
}
