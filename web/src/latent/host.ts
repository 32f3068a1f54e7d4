// What the studio offers its panels (favourites, interpolation, arithmetic).
import type { FavouriteStore } from "./favourites";
import type { LatentGenerator } from "./generator";
import type { LatentDirection, LatentPoint } from "./latent_state";

export interface StudioHost {
  readonly generator: LatentGenerator;
  readonly directions: LatentDirection[];
  readonly favourites: FavouriteStore;
  /** The current point (a copy). */
  currentPoint(): LatentPoint;
  /** Makes `point` current: sliders follow, the picture re-renders. */
  loadPoint(point: LatentPoint): void;
  /** Saves a point as a favourite with a thumbnail drawn from `rgba`. */
  saveFavourite(point: LatentPoint, rgba: Uint8ClampedArray): void;
  removeFavourite(id: string): void;
  decode(code: string): LatentPoint;
  error(text: string): void;
  info(text: string): void;
  /** Called by the studio whenever favourites or the current point change. */
  onChange(listener: (what: "favourites" | "current") => void): void;
}
