// Every property test runs from a fixed seed unless it sets its own, so a CI run is reproducible;
// change the seed to explore other inputs (a failure prints the seed and path to replay it).
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261201) });
