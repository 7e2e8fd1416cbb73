/**
 * Which files of a repo a pull fetches: one `.rkllm` (the only one, or the one the selector
 * names), plus the `model_config.json` and the vision encoder `.rknn` next to it, when present.
 * Pure.
 */
import { basename, posix } from "node:path";
import { MODEL_CONFIG_FILE, MODEL_SUFFIX, VISION_ENCODER_SUFFIX } from "../discovery.ts";
import { AmbiguousModelError, NoModelFileError, SelectorNotMatchedError } from "./errors.ts";
import type { HubFile } from "./hub_client.ts";

export interface PullPlan {
  model: HubFile;
  config?: HubFile;
  visionEncoder?: HubFile;
  /** The repo holds more than one `.rkllm`, so a folder named after the repo would be vague. */
  repoHasSeveralModels: boolean;
}

export function selectFiles(repo: string, files: readonly HubFile[], selector?: string): PullPlan {
  const models = files.filter((f) => f.path.toLowerCase().endsWith(MODEL_SUFFIX));
  if (models.length === 0) throw new NoModelFileError(repo);
  const names = models.map((f) => f.path).sort();
  let model: HubFile;
  if (selector === undefined) {
    if (models.length > 1) throw new AmbiguousModelError(repo, names);
    model = models[0];
  } else {
    const matches = matchSelector(models, selector);
    if (matches.length === 0) throw new SelectorNotMatchedError(repo, selector, names);
    if (matches.length > 1) {
      throw new AmbiguousModelError(repo, matches.map((f) => f.path).sort(), selector);
    }
    model = matches[0];
  }

  const dir = posix.dirname(model.path);
  const plan: PullPlan = { model, repoHasSeveralModels: models.length > 1 };
  const config = nearest(files.filter((f) => basename(f.path) === MODEL_CONFIG_FILE), dir);
  if (config !== undefined) plan.config = config;
  const encoders = files.filter((f) => f.path.toLowerCase().endsWith(VISION_ENCODER_SUFFIX));
  const encoder = nearest(preferSamePlatform(encoders, model.path), dir);
  if (encoder !== undefined) plan.visionEncoder = encoder;
  return plan;
}

/**
 * An exact path or file name wins; otherwise a quant tag matches a file whose name contains it
 * as a whole `-`/`_`/`.`-separated part (so `w8a8` matches `x-w8a8-rk3588.rkllm`, not `xw8a8`).
 */
function matchSelector(models: readonly HubFile[], selector: string): HubFile[] {
  const wanted = selector.toLowerCase();
  const exact = models.filter((f) =>
    f.path.toLowerCase() === wanted || basename(f.path).toLowerCase() === wanted
  );
  if (exact.length > 0) return exact;
  const tag = new RegExp(`(^|[-_.])${escapeRegExp(wanted)}([-_.]|$)`);
  return models.filter((f) =>
    tag.test(basename(f.path).toLowerCase().slice(0, -MODEL_SUFFIX.length))
  );
}

/** Files in the model's own folder first, then its ancestors; none from unrelated folders. */
function nearest(candidates: readonly HubFile[], dir: string): HubFile | undefined {
  for (let at = dir;; at = posix.dirname(at)) {
    const here = candidates.filter((f) => posix.dirname(f.path) === at).sort(byPath);
    if (here.length > 0) return here[0];
    if (at === "." || at === "/" || at === "") return undefined;
  }
}

/** Repos often ship one encoder per chip (`…rk3576.rknn`, `…rk3588.rknn`): take the model's. */
function preferSamePlatform(encoders: readonly HubFile[], modelPath: string): HubFile[] {
  const platform = /rk35\d\d/i.exec(basename(modelPath))?.[0]?.toLowerCase();
  if (platform === undefined) return [...encoders];
  const same = encoders.filter((f) => basename(f.path).toLowerCase().includes(platform));
  return same.length > 0 ? same : [...encoders];
}

function byPath(a: HubFile, b: HubFile): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
