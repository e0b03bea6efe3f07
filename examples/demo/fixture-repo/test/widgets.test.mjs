// Tests for src/widgets.mjs, run with `node --test` (the demo packet's verification command).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WIDGETS, pageOf } from '../src/widgets.mjs';

test('page 1 holds the first items', () => {
  assert.deepEqual(pageOf(WIDGETS, 1, 2), ['sprocket', 'gizmo']);
});

test('the last page may be partial', () => {
  assert.deepEqual(pageOf(WIDGETS, 3, 2), ['thingamajig']);
});

test('a page past the end is empty', () => {
  assert.deepEqual(pageOf(WIDGETS, 4, 2), []);
});
