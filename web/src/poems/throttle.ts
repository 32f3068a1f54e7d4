// Coalesces DOM updates while a poem streams: at most one flush per interval, so that a
// slow painter (a software-rendered page, or WebGL sharing the GPU with the page) spends
// its time on the model rather than on repainting after every chunk.
export class Throttle {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private last = 0;

  constructor(
    private readonly flush: () => void,
    private readonly intervalMs = 80,
  ) {}

  request(): void {
    if (this.timer !== null) return;
    const wait = Math.max(0, this.last + this.intervalMs - performance.now());
    this.timer = setTimeout(() => this.now(), wait);
  }

  /** Flushes at once (end of a stream). */
  now(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.last = performance.now();
    this.flush();
  }
}
