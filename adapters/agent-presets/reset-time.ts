/**
 * Reset times agents print in words. Codex's usage-limit text ends "…or try again at 5:26 PM."
 * (openai/codex issues #37534, #3124: "try again in 2 days 17 hours 14 minutes"), in the
 * machine's local time; "Try again in 17 seconds" comes with its rate-limit retries (#3764).
 */

/** The next moment (ms since epoch, after `now`) a "try again at H:MM [AM|PM]" names, or null. */
export function clockReset(text: string, now: number): number | null {
  const m = /try again at (\d{1,2}):(\d{2})\s*([AP]\.?M\.?)?/i.exec(text);
  if (!m) return null;
  let hours = Number(m[1]);
  const minutes = Number(m[2]);
  const half = m[3]?.replace(/\./g, '').toUpperCase();
  if (half === 'PM' && hours < 12) hours += 12;
  if (half === 'AM' && hours === 12) hours = 0;
  if (hours > 23 || minutes > 59) return null;
  const at = new Date(now);
  at.setHours(hours, minutes, 0, 0);
  if (at.getTime() <= now) at.setDate(at.getDate() + 1);
  return at.getTime();
}

const UNITS: Record<string, number> = { day: 86_400_000, hour: 3_600_000, minute: 60_000, min: 60_000, second: 1000, sec: 1000 };

/** now + "try again in 2 days 17 hours 14 minutes" / "in 17 seconds", or null. */
export function durationReset(text: string, now: number): number | null {
  const m = /try again in ((?:\s*\d+(?:\.\d+)?\s*(?:days?|hours?|minutes?|mins?|seconds?|secs?)\b,?)+)/i.exec(text);
  if (!m) return null;
  let ms = 0;
  for (const part of m[1]!.matchAll(/(\d+(?:\.\d+)?)\s*(day|hour|minute|min|second|sec)/gi)) {
    ms += Number(part[1]) * UNITS[part[2]!.toLowerCase()]!;
  }
  return ms > 0 ? now + Math.round(ms) : null;
}
