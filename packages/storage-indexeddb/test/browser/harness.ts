/**
 * What the contract suite imports from 'vitest', for the browser: the page's bundle aliases 'vitest' to
 * this module. `describe` and `test` only collect the tests; `run` runs them one after another. `expect`
 * is vitest's own (`@vitest/expect`, Jest's matchers as a chai plugin), so the same assertions run.
 */
import { chai, JestAsymmetricMatchers, JestChaiExpect, JestExtend, setState, type ExpectStatic } from '@vitest/expect'

chai.use(JestExtend)
chai.use(JestChaiExpect)
chai.use(JestAsymmetricMatchers)

export const expect = ((value: unknown, message?: string) => chai.expect(value, message)) as ExpectStatic
Object.assign(expect, chai.expect)
setState(
  {
    assertionCalls: 0,
    isExpectingAssertions: false,
    isExpectingAssertionsError: null,
    expectedAssertionsNumber: null,
    expectedAssertionsNumberErrorGen: null,
    testPath: 'browser',
    currentTestName: '',
  },
  expect,
)

/** One test's outcome, as the page reports it to the Node side. */
export interface Outcome {
  readonly name: string
  readonly error?: string
}

const tests: { readonly name: string; readonly fn: () => unknown }[] = []
const path: string[] = []

export function describe(name: string, fn: () => void): void {
  path.push(name)
  try {
    fn()
  } finally {
    path.pop()
  }
}

export function test(name: string, fn: () => unknown): void {
  tests.push({ name: [...path, name].join(' > '), fn })
}

/** Runs every collected test in order; a failed one reports its error and the rest still run. */
export async function run(): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  for (const { name, fn } of tests) {
    try {
      await fn()
      outcomes.push({ name })
    } catch (error) {
      outcomes.push({ name, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error) })
    }
  }
  return outcomes
}
