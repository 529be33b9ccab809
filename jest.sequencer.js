// Jest's order, with one change for a run without recorded durations (a fresh clone, as in CI): files whose
// header says `@long-running` start first. Jest otherwise orders such a run by file size, and a short file
// that trains models for minutes would start last and keep one worker busy long after the others are done.
import { readFileSync } from 'node:fs';
import Sequencer from '@jest/test-sequencer';

/** Whether the file's leading comment lines carry the mark. */
function marked(path) {
  const head = readFileSync(path, 'utf8').slice(0, 2000).split('\n');
  const comments = head.slice(
    0,
    head.findIndex((line) => !line.startsWith('//')),
  );
  return comments.some((line) => /@long-running\b/.test(line));
}

export default class LongRunningFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests); // sets each test's recorded duration, if any
    const first = sorted.filter((test) => test.duration == null && marked(test.path));
    return [...first, ...sorted.filter((test) => !first.includes(test))];
  }
}
