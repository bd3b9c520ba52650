import type { MockScriptInput } from '../mock-provider/script.js';

export const DEMO_TASK =
  'Add a small greeting module (src/greet.js exporting greet(name)) with a test that runs with `node --test`, ' +
  'following the team notes in ../notes.';

const PLAN = {
  summary: 'A greet(name) module and a node:test test for it.',
  tasks: [
    {
      id: 't1',
      title: 'Write src/greet.js',
      description: 'Export greet(name) returning "Hello, <name>!".',
      assignee: 'implementer',
      dependencies: [],
      acceptanceCriteria: ['src/greet.js exports greet', 'greet("Ada") returns "Hello, Ada!"'],
    },
    {
      id: 't2',
      title: 'Test greet() and run the test',
      description: 'Add test/greet.test.js using node:test and run it.',
      assignee: 'implementer',
      dependencies: ['t1'],
      acceptanceCriteria: ['test/greet.test.js exists', '`node --test test/` passes'],
    },
  ],
};

const GREET = 'export function greet(name) {\n  return `Hello, ${name}!`;\n}\n';
const TEST = [
  "import { test } from 'node:test';",
  "import assert from 'node:assert/strict';",
  "import { greet } from '../src/greet.js';",
  '',
  "test('greets by name', () => {",
  "  assert.equal(greet('Ada'), 'Hello, Ada!');",
  '});',
  '',
].join('\n');

const verdict = (v: 'approved' | 'concern', summary: string, findings: string[] = []) => ({ structured: { verdict: v, summary, findings } });

/**
 * The demo session, in the mock provider's (and the fake agents') rule format. `notesFile` is
 * outside every directory the architect may use, so its first attempt to read the team notes is
 * refused and the orchestrator's recovery relaunches it with the notes directory included.
 */
export function demoScript(notesFile: string): MockScriptInput {
  return {
    description: 'orchestrate demo: plan, implement with a milestone, one concern, a recovery, final approval',
    rules: [
      // Recovery: the architect first reads the team notes outside its workspace and is refused.
      {
        match: { kind: 'plan', cli: 'gemini' },
        times: 1,
        respond: {
          actions: [{ fail: { kind: 'path_outside_workspace', path: notesFile } }],
          text: 'I could not read the team notes: they are outside my workspace.',
        },
      },
      { match: { kind: 'plan' }, respond: { text: 'Here is the plan.', structured: PLAN } },
      {
        match: { kind: 'implement', task: 't1' },
        respond: {
          delayMs: 150,
          actions: [
            { todos: [{ text: 'write src/greet.js', status: 'in_progress' }] },
            { write: { path: 'src/greet.js', content: GREET } },
            { report: { tool: 'report_milestone', arguments: { text: 'src/greet.js written: greet(name) returns a greeting', progress: 50 } } },
          ],
          text: 'Implemented t1: src/greet.js exports greet(name).',
        },
      },
      {
        match: { kind: 'implement', task: 't2' },
        respond: {
          delayMs: 150,
          actions: [{ write: { path: 'test/greet.test.js', content: TEST } }, { shell: 'node --test test/' }],
          text: 'Implemented t2: test/greet.test.js passes with node --test.',
        },
      },
      // The milestone review: one reviewer has a concern, the other approves -> LOG_WARNING.
      {
        match: { kind: 'review', cli: 'codex', promptIncludes: 'src/greet.js written' },
        times: 1,
        respond: verdict('concern', 'greet() does not handle an empty name.', ['greet("") returns "Hello, !"; consider a default name.']),
      },
      { match: { kind: ['review', 'final-review'] }, respond: verdict('approved', 'The module and its test match the plan.') },
    ],
  };
}
