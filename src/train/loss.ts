// Cross-entropy per sample, with optional label smoothing (q = (1 - e) onehot + e / C), as torch's
// CrossEntropyLoss(label_smoothing=e). The reference recipe trains with plain cross-entropy (e = 0).

import * as tf from '@tensorflow/tfjs-core';

/** logits [B, C], labels [B] -> per-sample loss [B]. */
export function crossEntropy(logits: tf.Tensor2D, labels: Int32Array, labelSmoothing = 0): tf.Tensor1D {
  return tf.tidy(() => {
    const [B, C] = logits.shape;
    if (labels.length !== B) throw new Error(`crossEntropy: ${B} logits rows but ${labels.length} labels`);
    for (const l of labels) if (l < 0 || l >= C) throw new Error(`crossEntropy: label ${l} outside [0, ${C})`);
    let target: tf.Tensor = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), C), 'float32');// [B, C]
    if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / C);
    return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits, -1)), -1)) as tf.Tensor1D;
  });
}

/** logits [B, C], soft targets [B, C] (rows summing to 1, e.g. mixup) -> per-sample loss [B]. */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D, labelSmoothing = 0): tf.Tensor1D {
  return tf.tidy(() => {
    const C = logits.shape[1];
    const q = labelSmoothing > 0 ? tf.add(tf.mul(targets, 1 - labelSmoothing), labelSmoothing / C) : targets;
    return tf.neg(tf.sum(tf.mul(q, tf.logSoftmax(logits, -1)), -1)) as tf.Tensor1D;
  });
}
