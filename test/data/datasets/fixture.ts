// Shared by the dataset tests: the run's shared tiny demo suite (real files in the real layouts, generated once per jest
// run; never written to), a scratch folder per test file for broken copies, and small helpers to make them.

import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinySuite } from '../../helpers/tiny_suite';

export interface TinySuite {
  /** Folder holding the shared suite (k400/, ssv2/, mit/, imnet/): read only. */
  root: string;
  /** A scratch folder of this test file's own, for broken copies; cleanup() removes it. */
  scratch: string;
  cleanup(): Promise<void>;
}

/** The shared suite (nothing is generated here) with a fresh scratch folder. */
export async function makeTinySuite(): Promise<TinySuite> {
  const root = tinySuite(); // first: when it throws, no scratch folder is left behind
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'cover-test-'));
  return { root, scratch, cleanup: () => fs.rm(scratch, { recursive: true, force: true }) };
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
