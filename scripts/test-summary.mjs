// Prints the suite's closing line from vitest's JSON report: "tests: N passed, N failed".
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`tests: 0 passed, 1 failed (no report at ${file}: ${err.message})`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const brokenFiles = (report.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0).length;
const line = `tests: ${passed} passed, ${failed + brokenFiles} failed${skipped ? `, ${skipped} skipped` : ''}`;
console.log(line);
process.exit(failed + brokenFiles > 0 || passed === 0 ? 1 : 0);
