/**
 * Running estimate of the uplink rate, from the bytes each request moved and the network
 * time it took (round trip minus the server's own compute). An exponentially weighted mean
 * of the per-request *time per bit* (not of the rates) so one fast outlier cannot hide a
 * slow link: the planner cares about the time the next feature will take.
 */
export class LinkEstimator {
  private secPerBit: number;
  private samples = 0;

  /** @param priorBps the rate assumed before any measurement (from the system description). */
  constructor(
    priorBps: number,
    private readonly weight = 0.3,
  ) {
    if (!(priorBps > 0)) throw new RangeError('prior link rate must be positive');
    this.secPerBit = 1 / priorBps;
  }

  /** Records one transfer of `bits` that took `seconds` on the wire. Ignores unusable samples. */
  observe(bits: number, seconds: number): void {
    if (!(bits > 0) || !(seconds > 0) || !Number.isFinite(seconds)) return;
    const s = seconds / bits;
    this.secPerBit = this.samples === 0 ? s : this.weight * s + (1 - this.weight) * this.secPerBit;
    this.samples++;
  }

  get rateBps(): number {
    return 1 / this.secPerBit;
  }

  get count(): number {
    return this.samples;
  }
}
