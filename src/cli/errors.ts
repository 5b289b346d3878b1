import { ZodError } from "zod";

/** Exit codes of the CLI (also in `tastebud --help`). */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  someRowsRejected: 3,
  storeLocked: 4,
} as const;

/** A mistake by the user: shown as one line, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ZodError) {
    return err.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
  }
  if (err instanceof Error) return err.message.split("\n")[0];
  return String(err);
}
