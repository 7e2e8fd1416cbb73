/**
 * Parsing `<owner>/<repo>[:<file or quant>]`, the argument of `rkllm-api pull` and the `model`
 * of POST /api/pull. Pure.
 */
import { InvalidReferenceError } from "./errors.ts";

export interface ModelReference {
  /** `owner/repo` as the Hub spells it. */
  repo: string;
  /** A file name (or path) in the repo, or a quant tag such as `w8a8`; absent = the only one. */
  selector?: string;
}

// The Hub's own rule for names: letters, digits, '-', '_', '.'; no leading/trailing '.' or '-'.
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;

export function parseReference(input: string): ModelReference {
  const ref = input.trim().replace(/^(?:https?:\/\/)?(?:www\.)?(?:huggingface\.co|hf\.co)\//, "");
  if (ref === "") throw new InvalidReferenceError(input, "it is empty");
  const colon = ref.indexOf(":");
  const repo = colon < 0 ? ref : ref.slice(0, colon);
  const selector = colon < 0 ? undefined : ref.slice(colon + 1).trim();
  const parts = repo.split("/");
  if (parts.length !== 2) {
    throw new InvalidReferenceError(input, "the repo must be written <owner>/<repo>");
  }
  for (const part of parts) {
    if (!NAME.test(part) || part.includes("..")) {
      throw new InvalidReferenceError(input, `'${part.slice(0, 100)}' is not a valid Hub name`);
    }
  }
  if (selector === "") throw new InvalidReferenceError(input, "nothing follows ':'");
  if (selector !== undefined && (selector.includes("..") || selector.startsWith("/"))) {
    throw new InvalidReferenceError(input, "the file selector must be a path inside the repo");
  }
  return selector === undefined ? { repo } : { repo, selector };
}
