import cliProgress from "cli-progress";

/**
 * A progress bar on stderr when it is a terminal; otherwise a plain log line every 2 seconds, so long
 * runs in CI or under a process manager still show that they move. `detail` is a short text shown after
 * the count (an ingest's rows beside its megabytes).
 */
export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private label = "";
  private lastLine = 0;
  private readonly tty: boolean;

  constructor(private readonly enabled = true) {
    this.tty = Boolean(process.stderr.isTTY) && enabled;
  }

  update(label: string, done: number, total: number, detail = ""): void {
    if (!this.enabled) return;
    if (this.tty) {
      if (!this.bar || label !== this.label) {
        this.bar?.stop();
        this.bar = new cliProgress.SingleBar(
          {
            format: `${label.padEnd(22)} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}{detail}`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(Math.max(total, 1), done, { detail: detail && ` | ${detail}` });
        this.label = label;
      } else {
        this.bar.setTotal(Math.max(total, 1));
        this.bar.update(done, { detail: detail && ` | ${detail}` });
      }
      return;
    }
    const now = Date.now();
    if (label !== this.label || now - this.lastLine > 2000 || done === total) {
      if (label === this.label && done === total && now - this.lastLine < 100) return;
      process.stderr.write(`${label}: ${done}/${total}${detail && ` (${detail})`}\n`);
      this.lastLine = now;
      this.label = label;
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
