// What the studio offers its panels (favourites, interpolation, arithmetic).
import type { FavouritesHost } from "../ui/favourites_panel";
import type { LatentGenerator } from "./generator";
import type { LatentDirection, LatentPoint } from "./latent_state";

export interface StudioHost extends FavouritesHost {
  readonly generator: LatentGenerator;
  readonly directions: LatentDirection[];
  /** The current point (a copy). */
  currentPoint(): LatentPoint;
  /** Makes `point` current: sliders follow, the picture re-renders. */
  loadPoint(point: LatentPoint): void;
  /** Saves a point as a favourite with a thumbnail drawn from `rgba`. */
  saveFavourite(point: LatentPoint, rgba: Uint8ClampedArray): void;
  decode(code: string): LatentPoint;
  error(text: string): void;
  info(text: string): void;
}
