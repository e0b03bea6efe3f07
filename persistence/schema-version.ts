/** The version of every record this build writes; anything else is quarantined, never rewritten. */
export const SCHEMA_VERSION = 1;
