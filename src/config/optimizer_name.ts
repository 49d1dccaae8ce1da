// The optimizers a run may use, by name: a run's config names one (run/run_config.ts), train/optimizer.ts implements
// them, and model/memory.ts counts their slots, so the name lives below all three.
export type OptimizerName = 'adamw' | 'sgd';
