/**
 * Short model aliases and request-name resolution, as the Python server this project replaces
 * had them.
 *
 * Pure: imports nothing. Aliases are derived from the ids alone, so the same set of ids always
 * yields the same aliases regardless of discovery order.
 */

/** Leading ASCII letters of the first dash-part: `qwen` from `qwen3`. */
const FAMILY = /^([a-zA-Z]+)/;

/** Every alias `id` would like to own (may repeat; the caller dedupes per id). */
function candidatesOf(id: string): string[] {
  const parts = id.split("-");
  const out: string[] = [];
  // Proper prefixes only: the full id is never its own alias.
  for (let n = 1; n < parts.length; n++) out.push(parts.slice(0, n).join("-"));
  const first = parts[0];
  const family = FAMILY.exec(first)?.[1].toLowerCase();
  if (family !== undefined && family !== id && family !== first) out.push(family);
  const dot = first.indexOf(".");
  if (dot > 0) {
    const truncated = first.slice(0, dot);
    if (truncated !== id && truncated !== first) out.push(truncated);
  }
  return out.filter((c) => c.length > 0);
}

/**
 * Map alias → model id. An alias is kept only when exactly one model claims it and it is not
 * itself a model id; ambiguous candidates are dropped entirely (no "first wins"), so adding a
 * model can take an alias away but never silently re-point it.
 * Map order: shortest alias first, then alphabetical.
 */
export function buildAliases(ids: readonly string[]): Map<string, string> {
  const idSet = new Set(ids);
  const claimants = new Map<string, Set<string>>();
  for (const id of idSet) {
    for (const candidate of candidatesOf(id)) {
      let owners = claimants.get(candidate);
      if (owners === undefined) {
        owners = new Set();
        claimants.set(candidate, owners);
      }
      owners.add(id);
    }
  }
  const kept = [...claimants]
    .filter(([alias, owners]) => owners.size === 1 && !idSet.has(alias))
    .map(([alias, owners]): [string, string] => [alias, [...owners][0]]);
  kept.sort(([a], [b]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  return new Map(kept);
}

/**
 * Canonical model id for a requested name: trimmed and lower-cased, then an exact id or an alias.
 * Underscores are not converted (`qwen3_1.7b` misses), as in the reference.
 */
export function resolveModelName(
  name: string,
  ids: readonly string[],
  aliases: ReadonlyMap<string, string>,
): string | undefined {
  const wanted = name.trim().toLowerCase();
  if (wanted === "") return undefined;
  if (ids.includes(wanted)) return wanted;
  const target = aliases.get(wanted);
  // An alias map built from another id list must not resolve to a model that is not there.
  return target !== undefined && ids.includes(target) ? target : undefined;
}
