/**
 * What the agent may spend on the next inference. Each inference has its own cap `E0`; when a
 * mission battery budget is given, the agent also spreads what is left of it over the
 * inferences still to come, so an expensive early stretch forces cheaper plans later.
 */
export class EnergyBudget {
  private spent = 0;
  private done = 0;

  constructor(
    private readonly perInferenceJ: number,
    private readonly battery?: { joules: number; inferences: number },
  ) {}

  record(joules: number): void {
    this.spent += joules;
    this.done++;
  }

  /** The energy the next inference may use. */
  get availableJ(): number {
    if (!this.battery) return this.perInferenceJ;
    const left = Math.max(0, this.battery.joules - this.spent);
    const remaining = Math.max(1, this.battery.inferences - this.done);
    return Math.min(this.perInferenceJ, left / remaining);
  }

  get spentJ(): number {
    return this.spent;
  }
}
