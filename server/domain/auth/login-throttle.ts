import { RateLimiterMemory, type RateLimiterRes } from "rate-limiter-flexible";
import { DomainError } from "../errors";

export interface LoginThrottleOptions {
  /** Failed attempts allowed per account within `windowSeconds`. */
  perAccount: number;
  /** Failed attempts allowed per client address within `windowSeconds`. */
  perAddress: number;
  /** A spent allowance refills when its window, counted from the first failure, ends. */
  windowSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  perAccount: 5,
  perAddress: 20,
  windowSeconds: 15 * 60,
};

/**
 * Counts failed logins per account and per client address (rate-limiter-flexible, in memory:
 * a restart forgets the counts, which only ever helps a legitimate user). Only failures
 * count; a success clears the account's counter.
 */
export class LoginThrottle {
  private readonly byAccount: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  constructor(options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE) {
    this.byAccount = new RateLimiterMemory({
      keyPrefix: "acct",
      points: options.perAccount,
      duration: options.windowSeconds,
    });
    this.byAddress = new RateLimiterMemory({
      keyPrefix: "addr",
      points: options.perAddress,
      duration: options.windowSeconds,
    });
  }

  /** Throws THROTTLED when either the account or the address has used up its attempts. */
  async assertAllowed(username: string, clientAddress: string): Promise<void> {
    const [acct, addr] = await Promise.all([
      this.byAccount.get(username.toLowerCase()),
      this.byAddress.get(clientAddress),
    ]);
    const blocked = [acct, addr].filter(
      (r): r is RateLimiterRes => r !== null && r.remainingPoints <= 0,
    );
    if (blocked.length > 0) {
      const retryAfterSeconds = Math.ceil(Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000);
      throw new DomainError(
        "THROTTLED",
        `Too many failed sign-in attempts. Try again in ${formatWait(retryAfterSeconds)}.`,
        username,
        undefined,
        retryAfterSeconds,
      );
    }
  }

  async recordFailure(username: string, clientAddress: string): Promise<void> {
    await Promise.all([
      this.byAccount.penalty(username.toLowerCase(), 1),
      this.byAddress.penalty(clientAddress, 1),
    ]);
  }

  async recordSuccess(username: string): Promise<void> {
    await this.byAccount.delete(username.toLowerCase());
  }
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
