// Turns `--datasets k400,ssv2,mit,imnet` and `--data NAME=[FORMAT:]PATH` into what a run opens. The names k400, k600,
// k700, ssv2, mit and imnet map to their readers; `NAME=FORMAT:PATH` adds any other dataset. With no `--data` at all the
// run uses the embedded demo suite (generated on first use, in the real layouts), so `cover cotrain` works anywhere.

import { promises as fs } from 'fs';
import * as path from 'path';
import { DEFAULT_DEMO_DIR, DEMO_DATASETS, DEMO_MARKER, DemoDatasetName, demoSuitePaths, generateDemoSuite } from '../data/demo/suite';
import { DemoSize } from '../data/demo/plan';
import { isFormat, isShortName, SHORT_NAMES } from '../data/datasets/registry';
import { ConfigError } from '../errors';
import { RunDataset } from './run_config';

export interface ResolvedDatasets {
  datasets: RunDataset[];
  data: Record<string, string>;
  /** The demo suite's folder when the run uses it. */
  demo?: string;
}

export interface ResolveOptions {
  demoDir?: string;
  demoSize?: DemoSize;
  log?: (line: string) => void;
}

/** The demo suite at `dir`, generated when absent or of another size. */
export async function ensureDemoSuite(dir: string, size: DemoSize, log: (s: string) => void = () => {}): Promise<string> {
  const root = path.resolve(dir);
  try {
    const marker = JSON.parse(await fs.readFile(path.join(root, DEMO_MARKER), 'utf8')) as { size?: string };
    if (marker.size === size) return root;
  } catch {
    // not there yet
  }
  log(`generating the ${size} demo suite in ${root} (once) ...`);
  const r = await generateDemoSuite({ out: root, size });
  log(`  ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB, ${r.seconds.toFixed(1)} s (objects: ${r.spriteSource})`);
  return root;
}

export async function resolveRunDatasets(names: string[], dataEntries: Record<string, string>, opts: ResolveOptions = {}): Promise<ResolvedDatasets> {
  if (names.length === 0) throw new ConfigError('no dataset named', { suggestion: 'give --datasets, e.g. --datasets k400,ssv2,mit,imnet' });
  const datasets: RunDataset[] = [];
  const data: Record<string, string> = {};
  const useDemo = Object.keys(dataEntries).length === 0;
  let demo: string | undefined;
  if (useDemo) {
    const unknown = names.filter((n) => !(DEMO_DATASETS as readonly string[]).includes(n));
    if (unknown.length > 0) {
      throw new ConfigError(`unknown dataset name '${unknown[0]}' and no --data given`, {
        suggestion: `the demo suite has ${DEMO_DATASETS.join(', ')}; for your own data pass --data ${unknown[0]}=FORMAT:PATH (formats: kinetics, ssv2, mit, imagefolder, manifest)`,
      });
    }
    demo = await ensureDemoSuite(opts.demoDir ?? DEFAULT_DEMO_DIR, opts.demoSize ?? 'small', opts.log);
    const paths = demoSuitePaths(demo);
    for (const n of names) {
      datasets.push({ name: n, spec: `${paths[n as DemoDatasetName].format}:${paths[n as DemoDatasetName].root}` });
    }
    return { datasets, data, demo };
  }
  for (const n of names) {
    const value = Object.prototype.hasOwnProperty.call(dataEntries, n) ? dataEntries[n] : undefined;
    if (value === undefined) {
      throw new ConfigError(`no folder given for dataset '${n}'`, {
        suggestion: `add --data ${n}=PATH${isShortName(n) ? '' : ' (with FORMAT: in front for a dataset cover has no name for, e.g. manifest:/data/train.csv)'}`,
      });
    }
    const prefixed = /^([A-Za-z][\w-]*):(.+)$/.exec(value);
    if (prefixed && isFormat(prefixed[1])) {
      datasets.push({ name: n, spec: value });
    } else if (isShortName(n)) {
      datasets.push({ name: n, spec: `${SHORT_NAMES[n]}:${value}` });
    } else {
      datasets.push({ name: n, spec: value }); // format detected from the files
    }
    data[n] = value;
  }
  return { datasets, data };
}
