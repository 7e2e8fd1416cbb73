/**
 * The ways a pull or a removal can fail, one class each. They are ApiErrors so POST /api/pull
 * and DELETE /api/delete render them with a fitting status; failures of the Hub itself (its
 * token check, its network) are 502s, because the client's own request and key were fine.
 * Imports only src/errors.ts.
 */
import { ApiError } from "../../errors.ts";

export class PullError extends ApiError {}

export class InvalidReferenceError extends PullError {
  constructor(ref: string, why: string) {
    super(
      "invalid_request",
      "invalid_model_reference",
      `Invalid model reference '${ref.slice(0, 200)}': ${why}. ` +
        "Expected <owner>/<repo>[:<file or quant>], e.g. owner/Qwen3-1.7B-rkllm:w8a8.",
      { param: "model" },
    );
  }
}

export class InvalidModelNameError extends PullError {
  constructor(name: string) {
    super(
      "invalid_request",
      "invalid_model_name",
      `Invalid model folder name '${name.slice(0, 200)}': use a plain name without '/', '\\' ` +
        "or a leading '.'.",
      { param: "model" },
    );
  }
}

export class NoModelFileError extends PullError {
  constructor(repo: string) {
    super("not_found", "no_rkllm_file", `The repo ${repo} has no .rkllm file.`, {
      param: "model",
    });
  }
}

/** Several `.rkllm` files fit: the user must name one. */
export class AmbiguousModelError extends PullError {
  readonly candidates: readonly string[];
  constructor(repo: string, candidates: readonly string[], selector?: string) {
    const what = selector === undefined
      ? "several .rkllm files"
      : `several files matching '${selector}'`;
    super(
      "invalid_request",
      "ambiguous_model_file",
      `The repo ${repo} holds ${what}: ${candidates.join(", ")}. ` +
        `Pick one with ${repo}:<file or quant>.`,
      { param: "model" },
    );
    this.candidates = candidates;
  }
}

export class SelectorNotMatchedError extends PullError {
  constructor(repo: string, selector: string, available: readonly string[]) {
    super(
      "not_found",
      "model_file_not_found",
      `No .rkllm file in ${repo} matches '${selector}'. Available: ${available.join(", ")}.`,
      { param: "model" },
    );
  }
}

/** 401 from the Hub: the repo is private (or absent) and no token, or a wrong one, was sent. */
export class HubUnauthorizedError extends PullError {
  constructor(repo: string, hadToken: boolean) {
    const hint = hadToken
      ? "the HF_TOKEN given was rejected: check it is valid and not expired"
      : "the repo may be private: set HF_TOKEN to a Hugging Face access token with read access";
    super("upstream", "hub_unauthorized", `Hugging Face refused ${repo} (401): ${hint}.`);
  }
}

/** 403 from the Hub: gated repo whose terms the token's user has not accepted, or no access. */
export class HubForbiddenError extends PullError {
  constructor(repo: string, hadToken: boolean, gated: boolean) {
    const hint = gated
      ? `the repo is gated: accept its terms on the repo page while logged in${
        hadToken ? " as the HF_TOKEN's user" : " and set HF_TOKEN"
      }`
      : hadToken
      ? "the HF_TOKEN's user has no access to it (a fine-grained token may lack read scope)"
      : "set HF_TOKEN to a token with access";
    super(
      "upstream",
      "hub_forbidden",
      `Hugging Face denied access to ${repo} (403): ${hint}.`,
    );
  }
}

export class HubNotFoundError extends PullError {
  constructor(what: string) {
    super("not_found", "hub_not_found", `Not found on Hugging Face: ${what}.`, {
      param: "model",
    });
  }
}

/** The Hub could not be reached, answered with an unexpected status, or dropped the transfer. */
export class HubUnavailableError extends PullError {
  constructor(message: string, cause?: unknown) {
    super("upstream", "hub_unavailable", message, { cause });
  }
}

export class ChecksumMismatchError extends PullError {
  constructor(file: string, expected: string, actual: string) {
    super(
      "upstream",
      "checksum_mismatch",
      `Downloaded ${file} does not match its published hash (expected ${expected}, got ` +
        `${actual}); the partial file was removed, pull again.`,
    );
  }
}

/** Checked before the transfer starts, so a pull never fills the disk. */
export class InsufficientSpaceError extends PullError {
  constructor(dir: string, needed: number, available: number) {
    super(
      "insufficient_storage",
      "insufficient_storage",
      `Not enough free space in ${dir}: the pull needs ${formatBytes(needed)}, ` +
        `${formatBytes(available)} are free.`,
    );
  }
}

/** The disk filled up during the transfer anyway (another writer, or a quota). */
export class DiskFullError extends PullError {
  constructor(file: string, cause?: unknown) {
    super(
      "insufficient_storage",
      "disk_full",
      `No space left while writing ${file}; free some space and pull again (it resumes).`,
      { cause },
    );
  }
}

/** The target folder already holds another model, which discovery might pick instead. */
export class ModelFolderConflictError extends PullError {
  constructor(dir: string, others: readonly string[]) {
    super(
      "conflict",
      "model_folder_taken",
      `${dir} already holds ${others.join(", ")}; remove that model first or pull under another ` +
        "name.",
      { param: "model" },
    );
  }
}

export class LocalModelNotFoundError extends PullError {
  constructor(name: string, dir: string) {
    super(
      "not_found",
      "model_not_found",
      `No model folder '${name.slice(0, 200)}' in ${dir}.`,
      { param: "model" },
    );
  }
}

export class ModelInUseError extends PullError {
  constructor(name: string) {
    super(
      "conflict",
      "model_in_use",
      `The model '${name}' is loaded; it cannot be removed until it is unloaded.`,
      { param: "model" },
    );
  }
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
