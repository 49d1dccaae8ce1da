// Damaged checkpoints for the tests of the loaders: NaN or Inf written into chosen weights (as a diverged run leaves
// them), and a weights file whose header points one tensor at another's bytes (aliased tensors).
import * as fs from 'fs';
import * as path from 'path';
import { readSafetensors, writeSafetensors } from '../../src/checkpoint/safetensors';

/** Sets the first values of each named tensor of `ckDir`'s weights.safetensors, keeping everything else. */
export function poisonWeights(ckDir: string, values: Record<string, number[]>): void {
  const file = path.join(ckDir, 'weights.safetensors');
  const { tensors, metadata } = readSafetensors(file);
  for (const [name, vs] of Object.entries(values)) {
    const t = tensors.get(name);
    if (!t) throw new Error(`poisonWeights: ${file} has no tensor ${name}`);
    vs.forEach((v, i) => (t.data[i] = v));
  }
  writeSafetensors(file, tensors, metadata);
}

/** Rewrites the header of `file` so that tensor `b` reads the bytes of tensor `a` (same byte size). */
export function aliasTensors(file: string, a: string, b: string): void {
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: number[] }>;
  header[b].data_offsets = [...header[a].data_offsets];
  const text = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  fs.writeFileSync(file, Buffer.concat([len, text, bytes.subarray(8 + n)]));
}
