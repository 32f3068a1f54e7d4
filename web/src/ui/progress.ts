// A labelled progress bar for model downloads (bytes) and long jobs.
import { formatBytes, h, uniqueId } from "./dom";
import type { CatalogueNotice } from "../models";

export class ProgressBar {
  readonly element: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly text: HTMLElement;
  private readonly label: HTMLElement;

  /** `doneLabel` replaces `label` once a byte download is complete ("Loading X" → "Downloaded X"). */
  constructor(private readonly busyLabel: string, private readonly doneLabel = busyLabel) {
    const id = uniqueId("progress");
    this.bar = h("progress", { id, max: 1, value: 0 });
    this.text = h("span", { class: "progress-text", "aria-live": "polite" });
    this.label = h("label", { for: id, text: busyLabel });
    this.element = h("div", { class: "progress", hidden: true }, this.label, this.bar, this.text);
  }

  /** A model download's bar: "Loading X" while bytes arrive, "Downloaded X" once all have. */
  static download(title: string): ProgressBar {
    return new ProgressBar(`Loading ${title}`, `Downloaded ${title}`);
  }

  bytes(loaded: number, total: number): void {
    this.element.hidden = false;
    this.label.textContent = total > 0 && loaded >= total ? this.doneLabel : this.busyLabel;
    this.bar.max = Math.max(total, 1);
    this.bar.value = Math.min(loaded, this.bar.max);
    this.text.textContent = `${formatBytes(loaded)} of ${formatBytes(total)}`;
  }

  fraction(value: number, text: string): void {
    this.element.hidden = false;
    this.bar.max = 1;
    this.bar.value = value;
    this.text.textContent = text;
  }

  hide(): void {
    this.element.hidden = true;
  }
}

/** A message area for errors and notices (role=alert for errors). */
export function messageBox(): { element: HTMLElement; error(text: string): void; info(text: string): void; clear(): void } {
  const element = h("p", { class: "message", hidden: true });
  return {
    element,
    error(text: string) {
      element.hidden = false;
      element.className = "message error";
      element.setAttribute("role", "alert");
      element.textContent = text;
    },
    info(text: string) {
      element.hidden = false;
      element.className = "message info";
      element.setAttribute("role", "status");
      element.textContent = text;
    },
    clear() {
      element.hidden = true;
      element.textContent = "";
    },
  };
}

/** A catalogue notice as a paragraph: an alert for errors, a quiet "empty" line otherwise. */
export function noticeElement(notice: CatalogueNotice): HTMLElement {
  return notice.error ? h("p", { class: "message error", role: "alert", text: notice.text }) : h("p", { class: "empty", text: notice.text });
}

export type MessageBox = ReturnType<typeof messageBox>;

/** A message box whose confirmations clear themselves after `ms`; errors stay until the next message. */
export class Notices {
  private timer = 0;

  constructor(private readonly box: Pick<MessageBox, "error" | "info" | "clear">, private readonly ms = 5000) {}

  error(text: string): void {
    clearTimeout(this.timer);
    this.box.error(text);
  }

  info(text: string): void {
    clearTimeout(this.timer);
    this.box.info(text);
    this.timer = window.setTimeout(() => this.box.clear(), this.ms);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
