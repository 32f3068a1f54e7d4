// Live webcam loop: at most one frame in flight; frames that arrive while the network is
// busy are dropped (the next run takes the newest frame), so the page never queues up.

export interface WebcamOptions {
  /** Stylises one frame (the video element holds the newest frame). */
  onFrame(video: HTMLVideoElement): Promise<void>;
  /** Frames per second actually processed, about once a second. */
  onFps(fps: number): void;
  onError(error: Error): void;
}

export class WebcamLoop {
  readonly video: HTMLVideoElement;
  private stream: MediaStream | null = null;
  private running = false;
  private busy = false;
  private frames = 0;
  private windowStart = 0;
  processed = 0;
  dropped = 0;

  constructor(private readonly options: WebcamOptions) {
    this.video = document.createElement("video");
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.setAttribute("playsinline", "");
  }

  get active(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!navigator.mediaDevices?.getUserMedia) throw new Error("This browser has no camera access (or the page is not served over HTTPS).");
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (error) {
      const name = (error as DOMException).name;
      if (name === "NotAllowedError") throw new Error("Camera permission was refused.");
      if (name === "NotFoundError" || name === "OverconstrainedError") throw new Error("No camera was found.");
      throw new Error(`The camera could not be started (${(error as Error).message || name}).`);
    }
    this.video.srcObject = this.stream;
    await this.video.play();
    this.running = true;
    this.frames = 0;
    this.windowStart = performance.now();
    requestAnimationFrame(this.tick);
  }

  stop(): void {
    this.running = false;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  private readonly tick = (): void => {
    if (!this.running) return;
    requestAnimationFrame(this.tick);
    if (this.busy) {
      this.dropped += 1;
      return;
    }
    if (this.video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || this.video.videoWidth === 0) return;
    this.busy = true;
    this.options
      .onFrame(this.video)
      .then(() => {
        this.processed += 1;
        this.frames += 1;
        const now = performance.now();
        if (now - this.windowStart >= 1000) {
          this.options.onFps((this.frames * 1000) / (now - this.windowStart));
          this.frames = 0;
          this.windowStart = now;
        }
      })
      .catch((error: Error) => {
        this.stop();
        this.options.onError(error);
      })
      .finally(() => {
        this.busy = false;
      });
  };
}
