// "1 · Photo": a file (chooser, drag-and-drop, paste), a sample photo, or the webcam.
// Decoding goes through image_input.ts, which refuses non-images and decompression bombs.
import { h } from "../ui/dom";
import { messageBox } from "../ui/progress";
import { ImageInputError, decodeImageFile } from "./image_input";
import type { Drawable } from "./pixels";

export const SAMPLES = [
  { file: "astronaut.jpg", title: "Astronaut", credit: "Eileen Collins, NASA (public domain)" },
  { file: "coffee.jpg", title: "Coffee", credit: "Rachel Michetti, Pikolo Espresso Bar (CC0)" },
  { file: "chelsea.jpg", title: "Chelsea the cat", credit: "Stefan van der Walt (CC0)" },
  { file: "rocket.jpg", title: "Rocket launch", credit: "SpaceX (public domain)" },
];
const SAMPLE_BASE = "/samples/style/";

export interface PhotoHost {
  /** A photo was opened (the panel closes the bitmap afterwards: copy what you keep). */
  setPhoto(name: string, image: Drawable): void;
  /** Whether a stylised result is on screen (a failed photo then keeps it). */
  hasResult(): boolean;
  toggleWebcam(): void;
  captureFrame(): void;
}

export class PhotoPanel {
  readonly element: HTMLElement;
  readonly message = messageBox();
  private readonly fileInput = h("input", { type: "file", accept: "image/*", id: "style-file", class: "visually-hidden" });
  private readonly drop = h("div", { class: "style-drop", "data-testid": "dropzone" });
  private readonly webcamButton = h("button", { type: "button", class: "secondary", text: "Use webcam" });
  private readonly captureButton = h("button", { type: "button", text: "Use this frame", hidden: true });
  private readonly fps = h("span", { class: "style-fps", "aria-live": "polite", hidden: true });

  constructor(private readonly host: PhotoHost) {
    this.drop.append(
      h("p", { class: "style-drop-title", text: "Drop a photo here" }),
      h("p", { class: "style-drop-hint" }, "or paste one, or ", h("label", { for: "style-file", class: "button", text: "Choose a file" })),
      this.fileInput,
    );
    const samples = h("div", { class: "style-samples", role: "group", "aria-label": "Sample photos" });
    for (const sample of SAMPLES) {
      const button = h("button", { type: "button", class: "style-sample", title: `${sample.title} — ${sample.credit}`, "data-sample": sample.file },
        h("img", { src: SAMPLE_BASE + sample.file, alt: sample.title, loading: "lazy" }));
      button.addEventListener("click", () => void this.loadSample(sample.file, sample.title));
      samples.append(button);
    }
    this.element = h("section", { class: "panel" },
      h("h2", { text: "1 · Photo" }),
      this.drop,
      h("div", { class: "style-row" }, this.webcamButton, this.captureButton, this.fps),
      h("p", { class: "style-small", text: "Or try a sample:" }),
      samples,
      this.message.element,
      h("p", { class: "style-small muted", text: "Your photos stay on this device: the network runs in your browser." }),
    );
    this.fileInput.addEventListener("change", () => {
      const file = this.fileInput.files?.[0];
      if (file) void this.loadFile(file);
      this.fileInput.value = "";
    });
    for (const type of ["dragenter", "dragover"]) {
      this.drop.addEventListener(type, (event) => {
        event.preventDefault();
        this.drop.classList.add("dragging");
      });
    }
    for (const type of ["dragleave", "drop"]) this.drop.addEventListener(type, () => this.drop.classList.remove("dragging"));
    this.drop.addEventListener("drop", (event) => {
      event.preventDefault();
      const file = event.dataTransfer?.files?.[0];
      if (file) void this.loadFile(file);
      else this.message.error("Drop an image file (PNG, JPEG, WebP, GIF or BMP).");
    });
    document.addEventListener("paste", this.onPaste);
    this.webcamButton.addEventListener("click", () => this.host.toggleWebcam());
    this.captureButton.addEventListener("click", () => this.host.captureFrame());
  }

  /** Shows the webcam's state: its button's label, the capture button and the frame rate. */
  webcamUi(on: boolean): void {
    this.webcamButton.textContent = on ? "Stop webcam" : "Use webcam";
    this.captureButton.hidden = !on;
    this.fps.hidden = !on;
    if (on) this.fps.textContent = "starting…";
  }

  showFps(fps: number): void {
    this.fps.textContent = `${fps.toFixed(1)} fps`;
    this.fps.dataset.fps = fps.toFixed(2);
  }

  dispose(): void {
    document.removeEventListener("paste", this.onPaste);
  }

  private readonly onPaste = (event: ClipboardEvent) => {
    const item = [...(event.clipboardData?.items ?? [])].find((i) => i.kind === "file");
    const file = item?.getAsFile();
    if (!file) return;
    event.preventDefault();
    void this.loadFile(file);
  };

  private async loadFile(file: File): Promise<void> {
    this.message.clear();
    try {
      const { bitmap } = await decodeImageFile(file);
      this.host.setPhoto(file.name || "pasted image", bitmap);
      bitmap.close();
    } catch (error) {
      const text = error instanceof ImageInputError ? error.message : `This file could not be opened: ${(error as Error).message}`;
      this.message.error(`${file.name ? `${file.name}: ` : ""}${text}${this.host.hasResult() ? " The previous result is kept." : ""}`);
    }
  }

  private async loadSample(file: string, title: string): Promise<void> {
    this.message.clear();
    try {
      const response = await fetch(SAMPLE_BASE + file);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { bitmap } = await decodeImageFile(await response.blob());
      this.host.setPhoto(title, bitmap);
      bitmap.close();
    } catch (error) {
      this.message.error(`The sample ${title} could not be loaded: ${(error as Error).message}`);
    }
  }
}
