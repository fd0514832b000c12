import type { Backend } from "./backend.ts";

/**
 * isEligible says whether `pick` may return `b` now: the backend takes new
 * sessions (healthy, not draining, weight above 0, below its limit) and this
 * session has not tried it already. Every algorithm filters through this one
 * function so "available" means the same thing everywhere.
 */
export function isEligible(b: Backend, exclude: readonly Backend[] | undefined): boolean {
  return b.isAvailable() && (exclude === undefined || !exclude.includes(b));
}
