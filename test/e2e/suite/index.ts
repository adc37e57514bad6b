// Runs inside the VS Code extension host (loaded through `extensionTestsPath`): mocha over the bundled
// *.test.js beside this file. Results go to results.json beside it, for the harness's summary.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface TestResult {
  suite: string;
  title: string;
  passed: boolean;
  durationMs: number;
  error?: string;
}

export const RESULTS_FILE = path.join(__dirname, 'results.json');

function suitePath(test: Mocha.Runnable): string {
  const names: string[] = [];
  for (let parent = test.parent; parent && !parent.root; parent = parent.parent) names.unshift(parent.title);
  return names.join(' › ');
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', forbidOnly: true, forbidPending: true });
  for (const file of fs.readdirSync(__dirname).filter((name) => name.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  const results: TestResult[] = [];
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on('pass', (test) => results.push({ suite: suitePath(test), title: test.title, passed: true, durationMs: test.duration ?? 0 }));
    runner.on('fail', (test, error: Error) =>
      results.push({ suite: suitePath(test), title: test.title, passed: false, durationMs: test.duration ?? 0, error: error.stack ?? String(error) }),
    );
  });
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2));
  if (failures > 0) throw new Error(`${failures} extension-host test(s) failed`);
}
