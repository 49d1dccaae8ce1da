// A state_dict in PyTorch's own file format, the zip archive torch.save writes since 1.6 (torch/serialization.py
// _save; caffe2/serialize/inline_container.cc): `archive/data.pkl` (torch_pickle.ts), `archive/byteorder`, one record
// `archive/data/<n>` of raw little-endian float32 per tensor, and `archive/version` (file format 3). torch.load reads it
// with no other package, weights_only=True included.

import type { TensorToWrite } from '../checkpoint/safetensors';
import { pickleStateDict } from './torch_pickle';
import { ZipEntry, writeStoredZip } from './zip_store';

const ARCHIVE = 'archive';
/** PyTorchStreamWriter's kProducedFileFormatVersion for torch 1.13 .. 2.x. */
const FILE_FORMAT_VERSION = '3\n';
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Writes `tensors` (in their Map order, which torch.load keeps) as a `.pth` file.
 *
 * @example
 * writeTorchStateDict('model.pth', new Map([['head.bias', { shape: [4], data: new Float32Array(4) }]]));
 * // python: torch.load('model.pth') -> OrderedDict([('head.bias', tensor([0., 0., 0., 0.]))])
 */
export function writeTorchStateDict(file: string, tensors: Map<string, TensorToWrite>): void {
  const names = [...tensors.keys()];
  const pickle = pickleStateDict(names.map((name, i) => ({ name, shape: tensors.get(name)!.shape, storageKey: String(i) })));
  const entries: ZipEntry[] = [
    { name: `${ARCHIVE}/data.pkl`, data: pickle },
    { name: `${ARCHIVE}/byteorder`, data: Buffer.from('little', 'latin1') },
    ...names.map((name, i) => ({ name: `${ARCHIVE}/data/${i}`, data: littleEndianBytes(tensors.get(name)!.data) })),
    { name: `${ARCHIVE}/version`, data: Buffer.from(FILE_FORMAT_VERSION, 'latin1') },
  ];
  writeStoredZip(file, entries);
}

function littleEndianBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const b = Buffer.alloc(data.byteLength);
  for (let i = 0; i < data.length; i++) b.writeFloatLE(data[i], 4 * i);
  return b;
}
