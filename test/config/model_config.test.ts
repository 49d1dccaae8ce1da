// modelConfigFromJson / validateModelConfig: every size has an upper bound (MODEL_LIMITS), so a damaged or hostile
// config.json is one ConfigError naming the key, the value and the limit, not an allocation that ends in a V8 abort;
// fields that must be numbers or booleans are checked for their type, and every preset is within the bounds.
import { MODEL_LIMITS, modelConfigFromJson, modelConfigToJson, validateModelConfig } from '../../src/config/model_config';
import { PRESET_NAMES, getPreset } from '../../src/config/presets';
import { ConfigError } from '../../src/errors';

const tiny = modelConfigToJson(getPreset('tiny'));

function refusal(json: Record<string, unknown>): string {
  let caught: unknown;
  try {
    modelConfigFromJson(json, 'ck/config.json');
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return (caught as ConfigError).oneLine();
}

test.each([
  ['depth', 1000000, 256],
  ['img_size', 800000, 2048],
  ['embed_dim', 16384, 8192],
  ['num_heads', 512, 256],
  ['num_frames', 100000, 1024],
  ['mlp_ratio', 64, 16],
  ['layer_norm_eps', 5, 1],
  ['time_embed_init_std', 1e6, 10],
])('%s=%d is refused in one line naming the limit %d', (key, value, limit) => {
  // embed_dim and num_heads stay divisible, img_size a multiple of patch_size, so only the bound can fail.
  const json = { ...tiny, [key]: value, ...(key === 'num_heads' ? { embed_dim: 512 } : {}) };
  expect(refusal(json)).toMatch(new RegExp(`^ck/config\\.json: model config field ${key}=${value} is above the limit ${limit} \\(fix: give at most ${limit}`));
});

test('numbers and booleans given as other JSON types are refused', () => {
  expect(refusal({ ...tiny, mlp_ratio: '4' })).toContain('model config field mlp_ratio="4" is not a number (fix: give a number such as 4');
  expect(refusal({ ...tiny, drop_rate: '0.1' })).toContain('model config field drop_rate="0.1" is not a number');
  expect(refusal({ ...tiny, qkv_bias: 'yes' })).toContain('model config field qkv_bias="yes" is not true or false');
});

test('the limits themselves are accepted, and every preset is within them', () => {
  expect(modelConfigFromJson({ ...tiny, depth: MODEL_LIMITS.depth, num_frames: MODEL_LIMITS.numFrames, mlp_ratio: MODEL_LIMITS.mlpRatio }).depth).toBe(256);
  for (const name of PRESET_NAMES) expect(validateModelConfig(getPreset(name))).toEqual(getPreset(name));
});
