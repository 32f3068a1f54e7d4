// A share link shown in a box under the picture, copied to the clipboard when the browser allows.
import { h, uniqueId } from "./dom";

export async function showShareLink(box: HTMLElement, url: string, label: string): Promise<void> {
  const id = uniqueId("share");
  const field = h("input", { type: "text", id, readonly: true, class: "share-url", value: url });
  const status = h("span", { class: "share-status", role: "status" });
  box.replaceChildren(h("label", { for: id, text: label }), field, status);
  box.hidden = false;
  field.addEventListener("focus", () => field.select());
  try {
    await navigator.clipboard.writeText(url);
    status.textContent = "Copied to the clipboard.";
  } catch {
    field.select();
    status.textContent = "Copy the link above (the browser did not allow the clipboard).";
  }
}
