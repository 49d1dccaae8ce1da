// What each export format's config.json says.
//
// - `hf`: every field transformers' TimesformerConfig.__init__ reads (configuration_timesformer.py), plus the
//   PretrainedConfig fields a classifier needs (architectures, id2label, label2id), so that
//   TimesformerForVideoClassification.from_pretrained(dir) builds exactly the exported model.
// - `timesformer`: the keyword arguments of facebookresearch/TimeSformer vit.py VisionTransformer.__init__ that rebuild
//   the model (its defaults differ from TimeSformer's: qkv_bias False and LayerNorm eps 1e-5, so both are spelled out),
//   the class names and the preprocessing the model was trained with.
// - `hf` also writes preprocessor_config.json: the VideoMAEImageProcessor that Hugging Face's own TimeSformer
//   checkpoints ship (facebook/timesformer-base-finetuned-k400), with cover's mean, std and sizes, so that
//   pipeline("video-classification", model=dir) and AutoImageProcessor build from the folder alone.

import { ModelConfig } from '../config/model_config';
import { shownLabels } from '../data/datasets/label_names';
import { Preprocessing } from '../data/types';
import { HeadInfo } from '../model/heads';

/** TimesformerConfig's default std of its trunc_normal_ init; HF reads it only to initialise weights a file lacks. */
const INITIALIZER_RANGE = 0.02;

/** config.json of a Hugging Face TimesformerForVideoClassification folder, keys sorted as save_pretrained writes them. */
export function hfConfig(model: ModelConfig, head: HeadInfo): Record<string, unknown> {
  const names = shownLabels(head);
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  names.forEach((n, i) => {
    id2label[String(i)] = n;
    if (!(n in label2id)) label2id[n] = i;
  });
  return sortKeys({
    architectures: ['TimesformerForVideoClassification'],
    model_type: 'timesformer',
    image_size: model.imgSize,
    patch_size: model.patchSize,
    num_channels: model.inChans,
    num_frames: model.numFrames,
    hidden_size: model.embedDim,
    num_hidden_layers: model.depth,
    num_attention_heads: model.numHeads,
    intermediate_size: Math.round(model.embedDim * model.mlpRatio),
    hidden_act: 'gelu', // exact (erf) GELU, as cover's gelu.ts and the reference's nn.GELU
    hidden_dropout_prob: model.dropRate,
    attention_probs_dropout_prob: model.attnDropRate,
    // Always 0: transformers 5 declares the field `int` and refuses a config.json with 0.1 (StrictDataclassFieldValidationError,
    // seen with 5.18.0), and stochastic depth only matters to training, which HF would run with another schedule anyway.
    drop_path_rate: 0,
    initializer_range: INITIALIZER_RANGE,
    layer_norm_eps: model.layerNormEps,
    qkv_bias: model.qkvBias,
    attention_type: model.attentionType,
    id2label,
    label2id,
    torch_dtype: 'float32',
  });
}

/** config.json beside a reference state_dict: VisionTransformer(**kwargs, norm_layer=partial(nn.LayerNorm, eps=layer_norm_eps)). */
export function timesformerConfig(model: ModelConfig, head: HeadInfo, preprocessing: Preprocessing): Record<string, unknown> {
  return {
    model: 'VisionTransformer',
    source: 'facebookresearch/TimeSformer timesformer/models/vit.py',
    kwargs: {
      img_size: model.imgSize,
      patch_size: model.patchSize,
      in_chans: model.inChans,
      num_classes: head.numClasses,
      embed_dim: model.embedDim,
      depth: model.depth,
      num_heads: model.numHeads,
      mlp_ratio: model.mlpRatio,
      qkv_bias: model.qkvBias,
      drop_rate: model.dropRate,
      attn_drop_rate: model.attnDropRate,
      drop_path_rate: model.dropPathRate,
      num_frames: model.numFrames,
      attention_type: model.attentionType,
    },
    layer_norm_eps: model.layerNormEps,
    head: head.name,
    labels: [...head.labels],
    ...(head.displayNames ? { display_names: [...head.displayNames] } : {}),
    preprocessing: {
      mean: preprocessing.mean,
      std: preprocessing.std,
      crop_size: preprocessing.cropSize,
      num_frames: preprocessing.numFrames,
      sampling_rate: preprocessing.samplingRate,
    },
  };
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/**
 * preprocessor_config.json of a Hugging Face folder: frames resized to `cropSize` on the short side, centre-cropped to
 * the model's size, rescaled to [0, 1] and normalised with the checkpoint's mean and std, as cover evaluates one view.
 */
export function hfPreprocessorConfig(model: ModelConfig, preprocessing: Preprocessing): Record<string, unknown> {
  return {
    image_processor_type: 'VideoMAEImageProcessor',
    do_resize: true,
    size: { shortest_edge: preprocessing.cropSize },
    resample: 2, // PIL bilinear, as cover scales frames (FFmpeg's bilinear)
    do_center_crop: true,
    crop_size: { height: model.imgSize, width: model.imgSize },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: preprocessing.mean,
    image_std: preprocessing.std,
  };
}
