/**
 * A first-come first-served async mutex. The embedded store runs its statements on one connection and
 * serialises each of its calls with one of these; the server also runs each multi-call store write (an
 * append and its ingest-run record), and each training run, under one.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private held = 0;

  /** Runs `body` once every earlier holder has finished; releases the lock even when it throws. */
  run<T>(body: () => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      this.held++;
      try {
        return await body();
      } finally {
        this.held--;
      }
    });
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  get busy(): boolean {
    return this.held > 0;
  }
}
