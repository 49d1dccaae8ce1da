// Ownership of named parameters: one tf.Variable per reference state_dict key, in cover's internal layout
// (param_spec.ts). Modules read their weights from here by name; checkpoints and importers write here by name.

import * as tf from '@tensorflow/tfjs-core';
import { ParamSpec, internalShape } from './param_spec';
import { initTensor, paramSeed } from './init';

export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly specs = new Map<string, ParamSpec>();

  /** Creates a variable per spec, initialised by the spec's rule from `seed`. */
  add(specs: ParamSpec[], seed: number, trainable = true): void {
    for (const spec of specs) {
      if (this.vars.has(spec.name)) throw new Error(`parameter ${spec.name} defined twice`);
      const init = initTensor(spec, paramSeed(seed, spec.name));
      // variable() copies; the initial tensor is freed right away.
      this.vars.set(spec.name, tf.variable(init, trainable, `${spec.name}_${nextId()}`));
      init.dispose();
      this.specs.set(spec.name, spec);
    }
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  spec(name: string): ParamSpec {
    const s = this.specs.get(name);
    if (!s) throw new Error(`no parameter named ${name}`);
    return s;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** Variables by name, in definition order (the reference state_dict order). */
  namedVariables(): Map<string, tf.Variable> {
    return new Map(this.vars);
  }

  /** Overwrites values (internal layout). Every name must exist and every shape match. */
  assign(values: Map<string, tf.Tensor>): void {
    for (const [name, t] of values) {
      const v = this.get(name);
      const want = internalShape(this.spec(name));
      if (!tf.util.arraysEqual(t.shape, want)) {
        throw new Error(`parameter ${name}: got shape [${t.shape}], expected [${want}]`);
      }
      v.assign(t);
    }
  }

  /** Removes and frees the variables whose names start with `prefix`. */
  remove(prefix: string): void {
    for (const name of [...this.vars.keys()]) {
      if (name.startsWith(prefix)) {
        this.vars.get(name)!.dispose();
        this.vars.delete(name);
        this.specs.delete(name);
      }
    }
  }

  numParams(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.specs.clear();
  }
}

// tfjs variable names are global to the engine; a counter keeps two models in one process apart.
let idCounter = 0;
function nextId(): number {
  return idCounter++;
}
