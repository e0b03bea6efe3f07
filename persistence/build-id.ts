// Which build of Buran this is: a hash of its bundle, written into it by scripts/build.mjs. What
// this build's record schemas made of some bytes (kept in status-cache.json) is trusted by the same
// build only. Run from its sources (a module's own tests, tsx) there is none, and nothing is trusted.
declare const __BURAN_BUILD__: string | undefined;

/** This build's id (64 hex digits), or null when it has none (run from sources, or a bundle never hashed). */
export const BUILD_ID: string | null =
  typeof __BURAN_BUILD__ === 'string' && /^[0-9a-f]{64}$/.test(__BURAN_BUILD__) ? __BURAN_BUILD__ : null;
