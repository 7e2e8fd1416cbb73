/**
 * What can be wrong with an image a client sent, one class per kind. All are client errors
 * (400, OpenAI `invalid_request_error`), so the one error mapping in src/http renders them for
 * the OpenAI and the Ollama routes alike. Imports only src/errors.ts.
 */
import { InvalidRequestError } from "../errors.ts";

/** Not an image, a format the server cannot decode, or a corrupt or truncated file. */
export class InvalidImageError extends InvalidRequestError {
  constructor(message: string, param: string | null = null) {
    super(message, param, "invalid_image");
  }
}

/** Over `max_image_bytes`, `max_image_pixels` or `max_images_per_request`. */
export class ImageTooLargeError extends InvalidRequestError {
  constructor(message: string, param: string | null = null) {
    super(message, param, "image_too_large");
  }
}

/** An http(s) image URL that is refused (remote images off) or could not be fetched. */
export class RemoteImageError extends InvalidRequestError {
  constructor(message: string, param: string | null = null) {
    super(message, param, "image_url_refused");
  }
}

/** Images sent to a model without a vision encoder. */
export class VisionUnsupportedError extends InvalidRequestError {
  constructor(modelId: string, param: string | null = "messages") {
    super(
      `The model '${modelId}' does not accept images: it has no vision encoder (.rknn) in its ` +
        "folder. Send text only, or choose a vision model (capability 'vision' in the model list).",
      param,
      "model_not_vision",
    );
  }
}
