// The tensors each export format holds, by name and PyTorch shape, and the cover checkpoint key each one comes from.
// Every tensor maps one to one (same values, same layout): cover's checkpoints already use the reference state_dict's
// names and layouts, and Hugging Face's TimeSformer keeps the reference's fused qkv and conv patch weight, so only names
// change (src/checkpoint/key_maps.ts, the same map the importer reads these files with).
//
// - `timesformer`: facebookresearch/TimeSformer vit.py VisionTransformer.state_dict(): the backbone's names as they are
//   and the chosen dataset head as `head.*`.
// - `hf`: transformers' TimesformerForVideoClassification.state_dict(): `timesformer.*` and `classifier.*`.

import { ModelConfig } from '../config/model_config';
import { keyMapFor } from '../checkpoint/key_maps';
import { backboneParamSpecs, headParamSpecs, headPrefix } from '../model/param_spec';

export type ExportFormat = 'hf' | 'timesformer';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['hf', 'timesformer'];

export interface ExportKey {
  /** Name in the exported file. */
  name: string;
  /** PyTorch shape, the same in the cover checkpoint and the export. */
  shape: number[];
  /** Key in the cover checkpoint's weights.safetensors. */
  from: string;
}

/**
 * The exported tensors in the target's state_dict order (backbone, then the classifier).
 *
 * @example
 * exportKeys('hf', getPreset('base'), { name: 'k400', numClasses: 400 }).slice(-2)
 * // [{ name: 'classifier.weight', shape: [400, 768], from: 'heads.k400.weight' },
 * //  { name: 'classifier.bias', shape: [400], from: 'heads.k400.bias' }]
 */
export function exportKeys(format: ExportFormat, model: ModelConfig, head: { name: string; numClasses: number }): ExportKey[] {
  const rename = renamer(format);
  const backbone = backboneParamSpecs(model).map((s) => ({ name: rename.backbone(s.name), shape: s.refShape, from: s.name }));
  const classifier = headParamSpecs(headPrefix(head.name), model.embedDim, head.numClasses).map((s) => ({
    name: s.name.endsWith('.weight') ? rename.head.weight : rename.head.bias,
    shape: s.refShape,
    from: s.name,
  }));
  return [...backbone, ...classifier];
}

function renamer(format: ExportFormat): { backbone: (ref: string) => string; head: { weight: string; bias: string } } {
  switch (format) {
    case 'timesformer':
      return { backbone: (ref) => ref, head: { weight: 'head.weight', bias: 'head.bias' } };
    case 'hf': {
      const map = keyMapFor('hf-timesformer', []);
      return {
        backbone: (ref) => {
          const keys = map.sourceKeys(ref);
          if (!keys || keys.length !== 1) throw new Error(`export: no one Hugging Face name for ${ref}`);
          return keys[0];
        },
        head: map.head,
      };
    }
    default: {
      const never: never = format;
      throw new Error(`unknown export format ${never}`);
    }
  }
}
