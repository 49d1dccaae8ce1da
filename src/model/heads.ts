// Classification heads, one per dataset (CoVeR): each is nn.Linear(D, C_k) over the shared backbone's CLS feature.
// Features are computed once per batch; each dataset's samples then go through that dataset's head only.

import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors';
import { headParamSpecs, headPrefix } from './param_spec';
import { linear } from './linear';
import { ParamStore } from './params';

export interface HeadInfo {
  /** Dataset name, e.g. `k400`; also the key prefix `heads.<name>.` in checkpoints. */
  name: string;
  numClasses: number;
  /** Class names, index = class id (length numClasses). */
  labels: string[];
  /** Human-readable names where the labels are ids (synsets), index = class id; shown via data/label_names.ts. */
  displayNames?: string[];
}

const HEAD_NAME = /^[A-Za-z0-9_-]+$/;

export function validateHead(h: HeadInfo): HeadInfo {
  if (!HEAD_NAME.test(h.name)) {
    throw new ConfigError(`head name '${h.name}' is not allowed`, { suggestion: 'use letters, digits, _ and - only (e.g. k400, ssv2)' });
  }
  if (!Number.isInteger(h.numClasses) || h.numClasses < 1) {
    throw new ConfigError(`head '${h.name}' has ${h.numClasses} classes`, { suggestion: 'a head needs at least one class' });
  }
  if (h.labels.length !== h.numClasses) {
    throw new ConfigError(`head '${h.name}' has ${h.numClasses} classes but ${h.labels.length} label names`, {
      suggestion: 'give one label name per class',
    });
  }
  return h;
}

export class Heads {
  private readonly infos = new Map<string, HeadInfo>();

  constructor(private readonly params: ParamStore, private readonly embedDim: number) {}

  add(info: HeadInfo, seed: number): void {
    validateHead(info);
    if (this.infos.has(info.name)) throw new ConfigError(`head '${info.name}' is defined twice`, { suggestion: 'give each dataset one head' });
    this.params.add(headParamSpecs(headPrefix(info.name), this.embedDim, info.numClasses), seed);
    this.infos.set(info.name, { ...info, labels: [...info.labels] });
  }

  remove(name: string): void {
    this.params.remove(`${headPrefix(name)}.`);
    this.infos.delete(name);
  }

  get(name: string): HeadInfo {
    const h = this.infos.get(name);
    if (!h) {
      throw new ConfigError(`the model has no head named '${name}'`, { suggestion: `use one of: ${this.names().join(', ') || '(none)'}` });
    }
    return h;
  }

  names(): string[] {
    return [...this.infos.keys()];
  }

  list(): HeadInfo[] {
    return [...this.infos.values()];
  }

  /** features [B, D] -> logits [B, C] of head `name`. */
  apply(features: tf.Tensor, name: string): tf.Tensor {
    this.get(name);
    const pre = headPrefix(name);
    return linear(features, this.params.get(`${pre}.weight`), this.params.get(`${pre}.bias`));
  }
}
