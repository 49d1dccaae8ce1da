// Named model presets (timm's register_model, nanoGPT's config/). `tiny` is for tests, `small` is the embedded default
// that trains on two CPU cores in minutes, `base` is TimeSformer divided 8x224 (121,566,352 parameters with a 400-class
// head, as the reference), `hr` is TimeSformer-HR, the same ViT-B/16 at 16x448 (what `--init` of a base checkpoint
// fine-tunes at the higher resolution), and `large` is CoVeR's backbone, ViT-L/16 at 16x448 (430,331,280 with a
// 400-class head).

import { ConfigError } from '../errors';
import { DEFAULT_MODEL_CONFIG, ModelConfig, validateModelConfig } from './model_config';

export type PresetName = 'tiny' | 'small' | 'base' | 'hr' | 'large';

export const PRESETS: Record<PresetName, ModelConfig> = {
  // Seconds on CPU: 2 frames of 32x32 in 8x8 patches (N = 16), D 32, 2 blocks.
  tiny: { ...DEFAULT_MODEL_CONFIG, imgSize: 32, patchSize: 8, embedDim: 32, depth: 2, numHeads: 2, numFrames: 2, dropPathRate: 0 },
  // The engine probe's size (a): 8 frames of 64x64 in 16x16 patches (N = 16), D 192, 4 blocks, 3 heads;
  // 16.5 GFLOP per training step of 8 clips, under a second on wasm.
  small: { ...DEFAULT_MODEL_CONFIG, imgSize: 64, patchSize: 16, embedDim: 192, depth: 4, numHeads: 3, numFrames: 8, dropPathRate: 0.1, timeEmbedInitStd: 0.5 },
  // TimeSformer (divided space-time, 8x224), exactly vit_base_patch16_224 of the reference.
  base: { ...DEFAULT_MODEL_CONFIG },
  // TimeSformer-HR (the TimeSformer paper's Tab. 3 and 5; configs/Kinetics/TimeSformer_divST_16x16_448.yaml): base at 16
  // frames of 448x448.
  hr: { ...DEFAULT_MODEL_CONFIG, imgSize: 448, numFrames: 16 },
  // CoVeR's SOTA backbone: TimeSformer with ViT-L/16 at 16x448 (docs/notes/cover-spec.md §1.9, §2.2).
  large: { ...DEFAULT_MODEL_CONFIG, imgSize: 448, embedDim: 1024, depth: 24, numHeads: 16, numFrames: 16 },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/**
 * Each preset's default stride of dense (Kinetics-style) sampling, in frames at 30 fps as the reference counts them
 * (DATA.TARGET_FPS 30): 8 frames 32 apart for 8x224 (configs/Kinetics/TimeSformer_divST_8x32_224.yaml, a clip spans
 * 8 x 32 / 30 = 8.5 s) and 16 frames 16 apart for the 16x448 HR model (TimeSformer_divST_16x16_448.yaml, 8.5 s too),
 * which `hr` is and `large` takes.
 * `tiny` and `small` take 10: 4 frames of the demo suite's 12 fps Kinetics clips, the stride they were made for.
 */
export const PRESET_SAMPLING_RATE: Record<PresetName, number> = { tiny: 10, small: 10, base: 32, hr: 16, large: 16 };

export function getPreset(name: string): ModelConfig {
  if (!(name in PRESETS)) {
    throw new ConfigError(`unknown preset '${name}'`, { suggestion: `use one of ${PRESET_NAMES.join(', ')}` });
  }
  return validateModelConfig({ ...PRESETS[name as PresetName] });
}
