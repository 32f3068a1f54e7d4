// Live webcam loop: at most one frame in flight; frames that arrive while the network is
// busy are dropped (the next run takes the newest frame), so the page never queues up.
// `dropped` counts camera frames that were never stylised.

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
  private lastPresented: number | null = null;
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
    this.lastPresented = null;
    this.windowStart = performance.now();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  /** Next frame: the video's own frame callback where the browser has it, else animation frames. */
  private schedule(): void {
    if (!this.running) return;
    const video = this.video as HTMLVideoElement & {
      requestVideoFrameCallback?: (cb: (now: number, meta: { presentedFrames: number }) => void) => number;
    };
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback((_, meta) => this.take(meta.presentedFrames));
    else requestAnimationFrame(() => this.take(null));
  }

  /**
   * Stylises the newest frame; the next one is only requested once this one is done, so at
   * most one frame is ever in flight. Frames the camera presented meanwhile are dropped.
   */
  private take(presentedFrames: number | null): void {
    if (!this.running) return;
    if (this.video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || this.video.videoWidth === 0) {
      this.schedule();
      return;
    }
    if (presentedFrames !== null) {
      if (this.lastPresented !== null) this.dropped += Math.max(0, presentedFrames - this.lastPresented - 1);
      this.lastPresented = presentedFrames;
    }
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
        this.busy = false;
        this.schedule();
      })
      .catch((error: Error) => {
        this.busy = false;
        this.stop();
        this.options.onError(error);
      });
  }

  /** True while a frame is being stylised. */
  get inFlight(): boolean {
    return this.busy;
  }
}
