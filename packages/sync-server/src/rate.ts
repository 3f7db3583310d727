/** A token bucket: `perSecond` tokens a second, holding at most `burst`. */
export class TokenBucket {
  #tokens: number
  #at: number

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst
    this.#at = now
  }

  /** Takes a token if there is one; otherwise returns the ms until there will be. */
  take(now: number): number {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.perSecond)
    this.#at = now
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return 0
    }
    return Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000)
  }

  /** True when the bucket is full again, so it can be forgotten. */
  full(now: number): boolean {
    return this.#tokens + ((now - this.#at) / 1000) * this.perSecond >= this.burst
  }
}
