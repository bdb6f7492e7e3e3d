/** Per-account lockout arithmetic (SPEC §3), pure so it can be tested alone. */
export interface LockoutState { failed_count: number; failed_window_start: string | null; locked_until: string | null }
export interface LockoutPolicy { maxFailures: number; windowMs: number; durationMs: number }

export function isLocked(s: LockoutState, nowMs: number): boolean {
  return s.locked_until !== null && Date.parse(s.locked_until) > nowMs;
}

export function afterFailure(s: LockoutState, p: LockoutPolicy, nowMs: number): LockoutState {
  const start = s.failed_window_start ? Date.parse(s.failed_window_start) : NaN;
  const inWindow = !Number.isNaN(start) && nowMs - start < p.windowMs;
  const count = inWindow ? s.failed_count + 1 : 1;
  const windowStart = inWindow ? s.failed_window_start : new Date(nowMs).toISOString();
  const locked = count >= p.maxFailures ? new Date(nowMs + p.durationMs).toISOString() : s.locked_until;
  return { failed_count: count, failed_window_start: windowStart, locked_until: locked };
}

export const CLEARED: LockoutState = { failed_count: 0, failed_window_start: null, locked_until: null };
