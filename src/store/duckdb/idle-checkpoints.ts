/**
 * Checkpoints of a DuckDB file taken when its writes pause, rather than inside a write.
 *
 * DuckDB checkpoints by itself at the commit that takes its write-ahead log past `checkpoint_threshold`
 * (16 MiB by default, some 20,000 one-play writes): that commit then rewrites the plays table's last row
 * group and syncs the file, and its caller, with every write queued behind it, waits. On a 1.18 M-play store
 * one such checkpoint took 460-580 ms (84 ms of CPU) at load 18. So the store raises DuckDB's own threshold
 * (a backstop for writes that never pause) and asks for a checkpoint here once the log passes `softBytes`
 * and no write is under way or queued; a write that arrives during it waits for it, none pays for it.
 */
export class IdleCheckpoints {
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly options: {
      /** The write-ahead log's size now. */
      walBytes: () => number;
      /** Past this, a checkpoint is wanted at the next pause. */
      softBytes: number;
      /** No write under way or queued. */
      idle: () => boolean;
      /** Takes the checkpoint, queued with the writes. */
      checkpoint: () => Promise<void>;
      /** How often a wanted checkpoint looks for a pause. */
      everyMs: number;
    },
  ) {}

  /** After a write: look for a pause soon if the log has grown past the soft limit. */
  afterWrite(): void {
    if (this.timer || this.closed || this.options.walBytes() < this.options.softBytes) return;
    this.timer = setTimeout(() => void this.tryNow(), this.options.everyMs);
    this.timer.unref();
  }

  private async tryNow(): Promise<void> {
    this.timer = null;
    if (this.closed) return;
    if (!this.options.idle()) {
      this.afterWrite();
      return;
    }
    try {
      await this.options.checkpoint();
    } catch {
      // Not taken (a store that failed, or closed meanwhile): the next write asks again, and DuckDB's own
      // threshold still applies.
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
