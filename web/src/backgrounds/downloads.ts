// Saving a background: PNG with the credits in text chunks, JPEG with them in a comment,
// favourite thumbnails. The bytes are checked and edited in file_metadata.ts.
import { canvasBlob, downloadBlob } from "../ui/download";
import { fileStem, type BackgroundSettings } from "./bg_state";
import { metadataEntries } from "./credits";
import { jpegWithComment, pngWithText } from "./file_metadata";
import type { TextureInfo } from "./generator";
import { fitted } from "./stage";

export interface DownloadHost {
  readonly card: { title: string; name: string };
  readonly runner: { idle(): Promise<void> };
  shown(): { settings: BackgroundSettings; canvas: HTMLCanvasElement } | null;
  used(s: BackgroundSettings): TextureInfo[];
  names(): string[];
  shareUrl(s: BackgroundSettings): string;
  error(text: string): void;
}

function describeSettings(s: BackgroundSettings): string {
  const parts = [`${s.width}×${s.height}`, `seed ${s.seed}`, `scale ${s.scale}`, `variation ${s.variation}`];
  if (s.mode === "morph") parts.push(`morph ${s.shape}${s.repeat ? " (repeating)" : ""}`);
  if (s.hue || s.saturation !== 1 || s.brightness || s.contrast !== 1) parts.push(`colour: hue ${s.hue}°, saturation ${s.saturation}, brightness ${s.brightness}, contrast ${s.contrast}`);
  return parts.join(", ");
}

function jpegBlob(canvas: HTMLCanvasElement, quality: number): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("Could not encode the JPEG"))), "image/jpeg", quality);
  });
}

export class Downloads {
  /** The last file handed to the browser (for tests): name and bytes. */
  last: { name: string; bytes: Uint8Array } | null = null;

  constructor(private readonly host: DownloadHost) {}

  /** The text written into a file of the picture as shown. */
  metadata(s: BackgroundSettings): [string, string][] {
    const used = this.host.used(s);
    return metadataEntries(used, {
      title: `Background: ${used.map((t) => t.label).join(s.mode === "morph" ? " → " : " + ")}`,
      modelTitle: `${this.host.card.title}, model ${this.host.card.name}`,
      settingsText: describeSettings(s),
      shareUrl: this.host.shareUrl(s),
    });
  }

  private async save(kind: "png" | "jpeg", quality = 0.92): Promise<void> {
    await this.host.runner.idle();
    const shown = this.host.shown();
    if (!shown) return this.host.error("Nothing rendered yet.");
    try {
      const entries = this.metadata(shown.settings);
      const blob = kind === "png" ? await canvasBlob(shown.canvas) : await jpegBlob(shown.canvas, quality);
      const bytes = new Uint8Array(await blob.arrayBuffer());
      const text = entries.map(([k, v]) => `${k}: ${v}`).join("\n");
      const out = kind === "png" ? pngWithText(bytes, entries) : jpegWithComment(bytes, text);
      const name = `${fileStem(shown.settings, this.host.names())}.${kind === "png" ? "png" : "jpg"}`;
      this.last = { name, bytes: out };
      downloadBlob(new Blob([out as Uint8Array<ArrayBuffer>], { type: kind === "png" ? "image/png" : "image/jpeg" }), name);
    } catch (error) {
      this.host.error((error as Error).message);
    }
  }

  png(): Promise<void> {
    return this.save("png");
  }

  jpeg(quality: number): Promise<void> {
    return this.save("jpeg", quality);
  }

  /** A small JPEG data: URL of the picture (favourites). */
  thumbnail(canvas: HTMLCanvasElement): string {
    return fitted(canvas, 96).toDataURL("image/jpeg", 0.85);
  }

}
