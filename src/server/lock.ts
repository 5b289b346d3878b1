/**
 * A first-come first-served async mutex. The embedded store runs every statement on one connection, and
 * its multi-statement operations (staging table + transaction) must not interleave: the server runs each
 * store write, and each training run, under this lock.
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
