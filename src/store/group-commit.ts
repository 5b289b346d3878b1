/**
 * Group commit: writes that arrive while the store is busy (a commit under way, or any earlier write) wait
 * together and go into the next commit as one group, so a burst of small writes costs one transaction
 * rather than one each. Each caller's promise settles with its own result once the group's commit has
 * returned, that is once its rows are durable, never before.
 *
 * `schedule` runs a body after the store's earlier writes (its write mutex); the group is taken when the
 * body starts, not when it was scheduled, so everything that queued meanwhile joins it. A group holds at
 * most `maxRows` rows (the first write always goes, however large). When a group's commit fails, each
 * of its writes is tried again alone, so that one caller's bad batch fails that caller only; a failure of
 * the store itself (`sharedFailure`: a full disk, a closed store) fails them all without retrying.
 */
export class GroupCommit<W, R> {
  private pending: Array<{ write: W; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly options: {
      schedule: (body: () => Promise<void>) => Promise<void>;
      commit: (writes: readonly W[]) => Promise<R[]>;
      rowsOf: (write: W) => number;
      maxRows: number;
      sharedFailure: (err: unknown) => boolean;
    },
  ) {}

  add(write: W): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // flush() settles every caller itself; nothing reaches the mutex's promise.
    void this.options.schedule(() => this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    let rows = 0;
    let n = 0;
    while (n < this.pending.length) {
      const more = this.options.rowsOf(this.pending[n].write);
      if (n > 0 && rows + more > this.options.maxRows) break;
      rows += more;
      n++;
    }
    const group = this.pending.splice(0, n);
    // What did not fit goes in the next group, after this one.
    if (this.pending.length > 0) this.scheduleFlush();
    if (group.length === 0) return;
    try {
      const results = await this.options.commit(group.map((g) => g.write));
      for (let k = 0; k < group.length; k++) group[k].resolve(results[k]);
    } catch (err) {
      if (group.length === 1 || this.options.sharedFailure(err)) {
        for (const g of group) g.reject(err);
        return;
      }
      for (const g of group) {
        try {
          g.resolve((await this.options.commit([g.write]))[0]);
        } catch (alone) {
          g.reject(alone);
        }
      }
    }
  }
}
