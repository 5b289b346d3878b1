/** Errors the HTTP adapter answers with a fixed status and a JSON body (never a stack or a file path). */

export interface Issue {
  path: string;
  message: string;
}

/** A request part that does not match its schema: answered 400 with one issue per problem. */
export class RequestValidationError extends Error {
  readonly statusCode = 400;
  constructor(readonly issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>) {
    super(issues.map((i) => i.message).join("; "));
    this.name = "RequestValidationError";
  }
}

/** An error with a status and a short public code, e.g. 413 batch-too-large or 409 job-running. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/**
 * A JSON path for a zod issue path: `events[3].playedMs`, `context.extra["free key"]`. `prefix` is the
 * request part's own name (empty for the body, whose paths start at its fields); the root is the prefix,
 * or "body" when there is none.
 */
export function jsonPath(path: ReadonlyArray<PropertyKey>, prefix = ""): string {
  let out = prefix;
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const key = String(segment);
      if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out || "body";
}

/**
 * The first line of an error message with anything that looks like a file path replaced: safe to put in a
 * response (job errors come from deep inside the library and may name the store or model folder).
 */
export function publicMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const first = text.split("\n")[0] ?? "";
  return first.replace(/(?:[A-Za-z]:)?(?:[\\/][^\s\\/'"`,;:()]+){2,}[\\/]?/g, "<path>").slice(0, 500);
}
