/**
 * The models-folder name a pull writes into and a removal deletes: always one plain path
 * segment below the models root, so neither can reach outside it. Pure.
 */
import { basename } from "node:path";
import { MODEL_SUFFIX } from "../discovery.ts";
import { InvalidModelNameError } from "./errors.ts";
import type { ModelReference } from "./reference.ts";

export function checkFolderName(name: string): string {
  const trimmed = name.trim();
  if (
    trimmed === "" || trimmed.startsWith(".") || /[/\\\0]/.test(trimmed) || trimmed.length > 200
  ) {
    throw new InvalidModelNameError(name);
  }
  return trimmed;
}

/**
 * The repo's name when it holds one model; the file's stem when it holds several, so two
 * quants of one repo land in two folders (and get two model ids).
 */
export function defaultFolderName(
  ref: ModelReference,
  modelPath: string,
  repoHasSeveralModels: boolean,
): string {
  if (!repoHasSeveralModels) return ref.repo.split("/")[1];
  return basename(modelPath).slice(0, -MODEL_SUFFIX.length);
}
