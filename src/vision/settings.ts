/**
 * The limits and switches of image input, in one plain object the config layer fills from its
 * settings table (src/config.ts owns the names and the environment). A leaf: imports nothing.
 */

export interface VisionSettings {
  /** Largest accepted image file (decoded from base64 or fetched), in bytes. */
  maxImageBytes: number;
  /** Largest accepted picture, width × height from its header, checked before decoding. */
  maxImagePixels: number;
  /** Most images in one request (all messages together). */
  maxImagesPerRequest: number;
  /** Fetch http(s) `image_url`s. Off by default: the server would make requests for clients. */
  remoteImages: boolean;
  /** Time limit of one remote image fetch, in milliseconds. */
  remoteImageTimeoutMs: number;
}

export const DEFAULT_VISION_SETTINGS: Readonly<VisionSettings> = {
  maxImageBytes: 20 * 1024 * 1024,
  maxImagePixels: 50_000_000,
  maxImagesPerRequest: 8,
  remoteImages: false,
  remoteImageTimeoutMs: 10_000,
};
