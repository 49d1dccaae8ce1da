// The names a user reads for a head's classes. A head's `labels` are the dataset's class ids (ImageNet synsets such as
// `n03595614`), kept as they are in checkpoints so that heads still match their datasets; where a synset mapping gave
// `displayNames` (`jersey, T-shirt, tee shirt`), tables and predictions show the first of those names instead.

export interface NamedLabels {
  /** Class ids, index = class id. */
  labels: string[];
  /** Human-readable names, index = class id (e.g. from LOC_synset_mapping.txt); absent when the ids are the names. */
  displayNames?: string[];
}

/** The first comma-separated name: `jersey, T-shirt, tee shirt` -> `jersey`. */
export function shortName(full: string): string {
  return full.split(',')[0].trim();
}

/**
 * One shown name per class: the short display name where there is one, else the id. A short name that two classes
 * share (ImageNet has two `crane`s and two `maillot`s) or an empty one keeps its id: `crane (n02012849)`.
 * @example
 * shownLabels({ labels: ['n02012849', 'n03126707', 'n01440764'], displayNames: ['crane', 'crane', 'tench, Tinca tinca'] })
 * // ['crane (n02012849)', 'crane (n03126707)', 'tench']
 */
export function shownLabels(h: NamedLabels): string[] {
  const names = h.displayNames;
  if (!names || names.length !== h.labels.length) return [...h.labels];
  const short = names.map(shortName);
  const count = new Map<string, number>();
  for (const s of short) count.set(s, (count.get(s) ?? 0) + 1);
  return h.labels.map((id, c) => {
    const s = short[c];
    if (!s || s === id) return id;
    return count.get(s)! > 1 ? `${s} (${id})` : s;
  });
}
