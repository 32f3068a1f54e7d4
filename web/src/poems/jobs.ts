// One piece of model work at a time in the studio (writing, comparing, a game round):
// starting a job stops the one running and waits for it to let go of the model.

export type JobName = "write" | "compare" | "game" | "load";

export class JobRunner {
  private current: { name: JobName; controller: AbortController; done: Promise<void> } | null = null;
  private listeners: ((name: JobName | null) => void)[] = [];

  get running(): JobName | null {
    return this.current?.name ?? null;
  }

  onChange(listener: (name: JobName | null) => void): void {
    this.listeners.push(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.running);
  }

  /** Stops the running job (if any) and waits until it has finished. */
  async stop(): Promise<void> {
    const job = this.current;
    if (!job) return;
    job.controller.abort();
    await job.done;
  }

  /** Runs `work` after stopping whatever runs now. Errors go to `onError`. */
  async run(name: JobName, work: (signal: AbortSignal) => Promise<void>, onError: (error: Error) => void): Promise<void> {
    await this.stop();
    const controller = new AbortController();
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const job = { name, controller, done };
    this.current = job;
    this.emit();
    try {
      await work(controller.signal);
    } catch (error) {
      if (!controller.signal.aborted) onError(error as Error);
    } finally {
      if (this.current === job) this.current = null;
      finish();
      this.emit();
    }
  }
}
