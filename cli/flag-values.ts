// Values of numeric flags, each refused with the flag's name and what it takes.
import { UsageError } from './errors.ts';

export const parseSteps = (value: string) => {
  if (!/^\d+$/.test(value)) throw new UsageError(`--max-steps ${value}: needs a whole number of at least 1`);
  return Number(value);
};

export const parseCount = (value: string) => {
  if (!/^\d+$/.test(value)) throw new UsageError(`--concurrency ${value}: needs a whole number from 1 to 256`);
  return Number(value);
};

export const parseUsd = (value: string) => {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) throw new UsageError(`--max-cost-usd ${value}: needs a positive amount in USD, e.g. 20`);
  return Number(value);
};

export const parsePort = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`port ${value}: needs a whole number from 0 to 65535 (0 = any free port)`);
  return Number(value);
};
