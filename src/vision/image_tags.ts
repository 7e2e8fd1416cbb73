/**
 * The prompt side of images: the runtime expands each placeholder (`<image>`) into the image's
 * tokens, in order, and counts placeholders against the images it was given. So a prompt that goes
 * with images carries exactly one placeholder per image where it belongs, and every other text in
 * it is escaped: a client typing `<image>` cannot add placeholders. Pure; imports only the
 * runtime's plain interface (for the placeholder).
 */
import { IMAGE_PLACEHOLDER } from "../rkllm/npu.ts";

/**
 * A user turn's text with its images' placeholders in front (the order Rockchip's demos and
 * Ollama use), the text escaped.
 */
export function withImageTags(text: string, images: number): string {
  const tags = IMAGE_PLACEHOLDER.repeat(images);
  return images > 0 ? `${tags}\n${escapeImageTags(text)}` : escapeImageTags(text);
}

/** Literal `<image>` in client text → `< image>`, so only the server's tags reach the runtime. */
export function escapeImageTags(text: string): string {
  return text.replaceAll(IMAGE_PLACEHOLDER, "< image>");
}
