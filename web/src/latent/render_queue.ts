// Coalesces render requests: at most one render per animation frame, never more
// than one running, and only the latest request is kept while one runs (stale
// requests are dropped, not queued). A render that took a frame or longer is
// followed at once by the next one, without waiting for another frame.

export interface RenderStats {
  requested: number;
  rendered: number;
  dropped: number;
  /** Total ms spent inside renders. */
  busyMs: number;
  /** performance.now() at the end of each of the last renders (for fps figures). */
  times: number[];
}

const FRAME_MS = 1000 / 60;

export class LatestRenderQueue<T> {
  private pending: T | null = null;
  private running = false;
  private frame = 0;
  private timer = 0;
  private closed = false;
  private waiters: (() => void)[] = [];
  readonly stats: RenderStats = { requested: 0, rendered: 0, dropped: 0, busyMs: 0, times: [] };

  constructor(
    private readonly work: (job: T) => Promise<void>,
    private readonly onError: (error: Error) => void,
  ) {}

  request(job: T): void {
    if (this.closed) return;
    this.stats.requested += 1;
    if (this.pending !== null) this.stats.dropped += 1;
    this.pending = job;
    this.schedule();
  }

  /** Resolves when nothing is pending or running. */
  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  busy(): boolean {
    return this.running || this.pending !== null;
  }

  close(): void {
    this.closed = true;
    this.pending = null;
    cancelAnimationFrame(this.frame);
    clearTimeout(this.timer);
    this.frame = 0;
    this.timer = 0;
    this.settle();
  }

  private schedule(now = false): void {
    if (this.running || this.frame || this.timer || this.closed) return;
    if (now) {
      this.timer = window.setTimeout(() => {
        this.timer = 0;
        void this.pump();
      });
      return;
    }
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running || this.pending === null || this.closed) return this.settle();
    const job = this.pending;
    this.pending = null;
    this.running = true;
    const started = performance.now();
    try {
      await this.work(job);
      this.stats.rendered += 1;
      this.stats.times.push(performance.now());
      if (this.stats.times.length > 600) this.stats.times.splice(0, 300);
    } catch (error) {
      this.onError(error as Error);
    } finally {
      this.running = false;
      this.stats.busyMs += performance.now() - started;
    }
    if (this.pending !== null) this.schedule(performance.now() - started >= FRAME_MS);
    else this.settle();
  }

  private settle(): void {
    if (this.busy() && !this.closed) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
