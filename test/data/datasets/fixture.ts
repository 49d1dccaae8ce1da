// Shared by the dataset tests: a tiny demo suite generated once per test file into a temp folder (real files in the
// real layouts), and small helpers to make broken copies of it.

import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DemoDatasetName, generateDemoSuite } from '../../../src/demo/suite';

export interface TinySuite {
  /** Folder holding the suite (k400/, ssv2/, mit/, imnet/ as asked). */
  root: string;
  /** A scratch folder for broken copies, removed with the suite. */
  scratch: string;
  cleanup(): Promise<void>;
}

export async function makeTinySuite(only?: DemoDatasetName[], seed = 0): Promise<TinySuite> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'cover-test-'));
  const root = path.join(base, 'demo');
  await generateDemoSuite({ out: root, size: 'tiny', seed, only });
  const scratch = path.join(base, 'scratch');
  await fs.mkdir(scratch);
  return { root, scratch, cleanup: () => fs.rm(base, { recursive: true, force: true }) };
}

/** A copy of a generated dataset folder under `dst`. */
export async function copyDataset(src: string, dst: string): Promise<string> {
  await fs.cp(src, dst, { recursive: true });
  return dst;
}

export async function appendLines(file: string, lines: string[]): Promise<void> {
  await fs.appendFile(file, lines.join('\n') + '\n');
}

/** Number of the last line of a text file (1-based), for asserting `file:line` sources. */
export async function lineCount(file: string): Promise<number> {
  const text = await fs.readFile(file, 'utf8');
  return text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
}
