import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A throw-away self-signed certificate for 127.0.0.1, made with Debian's openssl (installed by
 * scripts/setup), so an HTTPS server can be tested with the certificate checked, not waived.
 */
export function selfSignedCertificate(): { dir: string; certFile: string; keyFile: string; cert: Buffer } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { dir, certFile, keyFile, cert: readFileSync(certFile) };
}
