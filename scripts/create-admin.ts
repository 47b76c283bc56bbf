/**
 * Creates the first administrator account (or any account) in the data dir's database:
 *   TONGKE_ADMIN_PASSWORD=… node --import tsx scripts/create-admin.ts <username> [display name]
 * The password comes from TONGKE_ADMIN_PASSWORD or, if unset, one line on stdin — never
 * from the command line, where it would sit in the shell history and the process list.
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { newAccountSchema } from '../server/auth/accountSchemas.js';
import { AccountService } from '../server/auth/accountService.js';
import { SqliteStore } from '../server/store/sqliteStore.js';

async function readPassword(): Promise<string> {
  if (process.env.TONGKE_ADMIN_PASSWORD) return process.env.TONGKE_ADMIN_PASSWORD;
  process.stderr.write('Password (one line): ');
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

async function main(): Promise<void> {
  const [username, displayName] = process.argv.slice(2);
  if (!username) throw new Error('no username given');
  const input = newAccountSchema.safeParse({
    username,
    displayName: displayName ?? username,
    role: 'admin',
    password: await readPassword(),
  });
  if (!input.success) {
    const i = input.error.issues[0];
    throw new Error(`${i?.path.join('.')}: ${i?.message}`);
  }
  const dataDir = path.resolve(process.env.TONGKE_DATA_DIR ?? 'data');
  const store = new SqliteStore(path.join(dataDir, 'tongke.sqlite'));
  try {
    const account = await new AccountService(store.db, store, { sessionMs: 0, maxFailures: 5, lockMs: 0 }).create(input.data);
    process.stdout.write(`created admin ${account.username} (${account.id}) in ${dataDir}\n`);
  } finally {
    store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`create-admin: ${err instanceof Error ? err.message : String(err)}\n`);
  process.stderr.write('usage: TONGKE_ADMIN_PASSWORD=… node --import tsx scripts/create-admin.ts <username> [display name]\n');
  process.exit(1);
});
