/**
 * A small proximal policy optimisation (PPO, Schulman et al. 2017) learner for one-shot design
 * problems, in plain TypeScript: the paper's deep-RL baseline, reduced to what the problem needs.
 *
 * The design is one decision (bits, clocks), so an episode is one step and the state never changes;
 * the policy is autoregressive over the action dimensions: each dimension is a categorical
 * distribution whose logits are a free table indexed by the options already chosen in its parent
 * dimensions (the bits are chosen knowing the clocks), i.e. a tabular policy on the constant state.
 * Training samples a batch
 * of actions from the current policy, scores them, normalises the rewards into advantages (the batch
 * mean is the value baseline), and takes `epochs` Adam steps on the clipped surrogate
 *   L(θ) = mean_i min(ρ_i A_i, clip(ρ_i, 1 − ε, 1 + ε) A_i) + β·H(π_θ),   ρ_i = π_θ(a_i)/π_old(a_i).
 * Everything random comes from one seeded mulberry32 stream, so a seed reproduces the run exactly.
 * The result is the policy's mode, taken dimension by dimension in order (argmax given the parents'
 * argmax), after the budget of sampled actions.
 */
import { mulberry32 } from '../util/rng.ts';

export interface PpoConfig {
  /** Training budget: actions sampled and scored in total. */
  steps: number;
  seed: number;
  /** Actions per policy update (default 64). */
  batch?: number;
  /** Gradient steps per batch (default 4). */
  epochs?: number;
  /** Clip range ε (default 0.2). */
  clip?: number;
  /** Adam step size on the logits (default 0.1). */
  lr?: number;
  /** Entropy bonus β (default 0.01). */
  entropy?: number;
  /** parents[d]: earlier dimensions dimension d is conditioned on (default: none). */
  parents?: readonly (readonly number[])[];
}

export interface PpoOutcome {
  /** The trained policy's mode: the most likely option in every dimension. */
  greedy: number[];
  /** The best action sampled during training and its reward. */
  bestSample: { action: number[]; reward: number } | null;
  iterations: number;
  samples: number;
  /** Mean batch reward of the first and the last update. */
  firstMeanReward: number;
  lastMeanReward: number;
}

function softmax(logits: Float64Array, out: Float64Array): void {
  let m = -Infinity;
  for (const x of logits) m = Math.max(m, x);
  let s = 0;
  for (let k = 0; k < logits.length; k++) {
    out[k] = Math.exp(logits[k] - m);
    s += out[k];
  }
  for (let k = 0; k < logits.length; k++) out[k] /= s;
}

/** Trains the policy over `dims[d]` options per dimension to maximise `reward(action)`. */
export function trainPpo(dims: readonly number[], reward: (action: readonly number[]) => number, cfg: PpoConfig): PpoOutcome {
  const rand = mulberry32(cfg.seed);
  const batch = Math.max(2, cfg.batch ?? 64);
  const epochs = cfg.epochs ?? 4;
  const clip = cfg.clip ?? 0.2;
  const lr = cfg.lr ?? 0.1;
  const beta = cfg.entropy ?? 0.01;
  const D = dims.length;
  const parents = dims.map((_, d) => {
    const ps = cfg.parents?.[d] ?? [];
    for (const q of ps) if (!(q >= 0 && q < d)) throw new Error(`ppo: dimension ${d} can only depend on earlier dimensions (got ${q})`);
    return ps;
  });
  const contexts = parents.map((ps) => ps.reduce((n, q) => n * dims[q], 1));
  // theta[d] holds one logit row of length dims[d] per context (combination of parent options).
  const theta = dims.map((k, d) => new Float64Array(k * contexts[d]));
  const mom = theta.map((t) => new Float64Array(t.length));
  const vel = theta.map((t) => new Float64Array(t.length));
  const grad = theta.map((t) => new Float64Array(t.length));
  const probs = theta.map((t) => new Float64Array(t.length));
  const row = dims.map((k) => new Float64Array(k));
  const ctxOf = (d: number, a: readonly number[]) => {
    let c = 0;
    for (const q of parents[d]) c = c * dims[q] + a[q];
    return c;
  };
  /** Softmax of dimension d's logits in context c, into row[d]. */
  const probsAt = (d: number, c: number) => {
    softmax(theta[d].subarray(c * dims[d], (c + 1) * dims[d]), row[d]);
    return row[d];
  };
  let adamT = 0;
  const b1 = 0.9;
  const b2 = 0.999;
  const iterations = Math.max(1, Math.floor(cfg.steps / batch));
  let best: { action: number[]; reward: number } | null = null;
  let firstMean = NaN;
  let lastMean = NaN;
  const actions: number[][] = Array.from({ length: batch }, () => new Array<number>(D).fill(0));
  const ctx: Int32Array[] = Array.from({ length: batch }, () => new Int32Array(D));
  const oldLogp = new Float64Array(batch);
  const adv = new Float64Array(batch);
  const seen = contexts.map((n) => new Uint8Array(n));
  for (let it = 0; it < iterations; it++) {
    let mean = 0;
    for (let i = 0; i < batch; i++) {
      let lp = 0;
      const a = actions[i];
      for (let d = 0; d < D; d++) {
        const c = ctxOf(d, a);
        ctx[i][d] = c;
        const pr = probsAt(d, c);
        const u = rand();
        let k = 0;
        let acc = pr[0];
        while (u > acc && k < dims[d] - 1) acc += pr[++k];
        a[d] = k;
        lp += Math.log(pr[k]);
      }
      oldLogp[i] = lp;
      const r = reward(a);
      adv[i] = r;
      mean += r;
      if (!best || r > best.reward) best = { action: a.slice(), reward: r };
    }
    mean /= batch;
    let varr = 0;
    for (let i = 0; i < batch; i++) varr += (adv[i] - mean) ** 2;
    const sd = Math.sqrt(varr / batch);
    for (let i = 0; i < batch; i++) adv[i] = sd > 1e-12 ? (adv[i] - mean) / sd : 0;
    if (it === 0) firstMean = mean;
    lastMean = mean;
    // The contexts this batch visited: only their logits get gradient (sparse Adam on the rest).
    const visited = dims.map(() => [] as number[]);
    for (let d = 0; d < D; d++) {
      seen[d].fill(0);
      for (let i = 0; i < batch; i++) {
        const c = ctx[i][d];
        if (!seen[d][c]) {
          seen[d][c] = 1;
          visited[d].push(c);
        }
      }
    }
    for (let ep = 0; ep < epochs; ep++) {
      for (let d = 0; d < D; d++) {
        const K = dims[d];
        for (const c of visited[d]) {
          softmax(theta[d].subarray(c * K, (c + 1) * K), probs[d].subarray(c * K, (c + 1) * K));
          grad[d].fill(0, c * K, (c + 1) * K);
        }
      }
      for (let i = 0; i < batch; i++) {
        let lp = 0;
        for (let d = 0; d < D; d++) lp += Math.log(probs[d][ctx[i][d] * dims[d] + actions[i][d]]);
        const ratio = Math.exp(lp - oldLogp[i]);
        const A = adv[i];
        // The clipped term has zero gradient once the ratio has left the trust region in A's direction.
        if ((A > 0 && ratio > 1 + clip) || (A < 0 && ratio < 1 - clip)) continue;
        const coef = (ratio * A) / batch;
        for (let d = 0; d < D; d++) {
          const off = ctx[i][d] * dims[d];
          const pr = probs[d];
          const g = grad[d];
          for (let k = 0; k < dims[d]; k++) g[off + k] -= coef * pr[off + k];
          g[off + actions[i][d]] += coef;
        }
      }
      adamT++;
      const c1 = 1 - b1 ** adamT;
      const c2 = 1 - b2 ** adamT;
      for (let d = 0; d < D; d++) {
        const K = dims[d];
        const pr = probs[d];
        for (const c of visited[d]) {
          // Entropy bonus: dH/dθ_k = −p_k (log p_k + H).
          let H = 0;
          for (let k = 0; k < K; k++) {
            const x = pr[c * K + k];
            if (x > 0) H -= x * Math.log(x);
          }
          for (let k = 0; k < K; k++) {
            const j = c * K + k;
            const x = pr[j];
            const gk = grad[d][j] + (x > 0 ? -beta * x * (Math.log(x) + H) : 0);
            mom[d][j] = b1 * mom[d][j] + (1 - b1) * gk;
            vel[d][j] = b2 * vel[d][j] + (1 - b2) * gk * gk;
            theta[d][j] += (lr * (mom[d][j] / c1)) / (Math.sqrt(vel[d][j] / c2) + 1e-8);
          }
        }
      }
    }
  }
  const greedy = new Array<number>(D).fill(0);
  for (let d = 0; d < D; d++) {
    const c = ctxOf(d, greedy);
    const th = theta[d].subarray(c * dims[d], (c + 1) * dims[d]);
    let k = 0;
    for (let j = 1; j < th.length; j++) if (th[j] > th[k]) k = j;
    greedy[d] = k;
  }
  return { greedy, bestSample: best, iterations, samples: iterations * batch, firstMeanReward: firstMean, lastMeanReward: lastMean };
}
