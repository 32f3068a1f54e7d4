// Runs the latest requested job: a request aborts the running job (it stops at its next
// piece) and starts a new one after a short delay, so a dragged slider renders once it
// rests. idle() resolves when nothing is waiting or running. No DOM, no tensors.

export type Job = (signal: AbortSignal) => Promise<void>;

export class LatestJobRunner {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private controller: AbortController | null = null;
  private waiters: (() => void)[] = [];
  private closed = false;
  /** Bumped by every request and cancel: only the latest request's job may start. */
  private generation = 0;
  /** Starts waiting for an aborted job to unwind. */
  private waiting = 0;
  /** Jobs started and jobs that ran to the end (not aborted, no error). */
  readonly counts = { started: 0, finished: 0, aborted: 0 };

  constructor(private readonly work: Job, private readonly onError: (error: Error) => void, private readonly isAbort: (error: Error) => boolean) {}

  /** Asks for a new run `delayMs` from now, aborting the one running. */
  request(delayMs = 60): void {
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.controller?.abort();
    const generation = ++this.generation;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.start(generation);
    }, delayMs);
  }

  /** Aborts the running job and drops a waiting one. */
  cancel(): void {
    this.generation += 1;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.controller?.abort();
    this.settle();
  }

  busy(): boolean {
    return this.timer !== null || this.running !== null || this.waiting > 0;
  }

  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.cancel();
  }

  private async start(generation: number): Promise<void> {
    this.waiting += 1;
    try {
      while (this.running) await this.running; // an aborted job unwinds first
    } finally {
      this.waiting -= 1;
    }
    if (generation !== this.generation || this.closed || this.running) return this.settle(); // a newer request (or a cancel) took over
    const controller = new AbortController();
    this.controller = controller;
    this.counts.started += 1;
    this.running = (async () => {
      try {
        await this.work(controller.signal);
        if (controller.signal.aborted) this.counts.aborted += 1;
        else this.counts.finished += 1;
      } catch (error) {
        if (this.isAbort(error as Error) || controller.signal.aborted) this.counts.aborted += 1;
        else this.onError(error as Error);
      }
    })();
    await this.running;
    this.running = null;
    if (this.controller === controller) this.controller = null;
    this.settle();
  }

  private settle(): void {
    if (this.busy() && !this.closed) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
