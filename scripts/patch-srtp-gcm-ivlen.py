"""libsrtp2 2.5.0 on OpenSSL 3: set AES-GCM's 12-byte IV length once per key, not once per packet.

`srtp_aes_gcm_openssl_set_iv` ran `EVP_CIPHER_CTX_ctrl(EVP_CTRL_GCM_SET_IVLEN, 12)` before every
packet's `EVP_CipherInit_ex`. On OpenSSL 3.0 that control is no longer a field store: it builds an
OSSL_PARAM, the provider looks it up by name (strcmp over its settable names), and it voids the
context's cached IV length, so the `EVP_CipherInit_ex` right after asks the provider for it again
(another round of name lookups). In bench-fanout's profile of the worker at 450 classrooms, the
lookups (`strcmp`, `EVP_CIPHER_CTX_ctrl`, `OSSL_PARAM_*`, `EVP_CIPHER_CTX_get_iv_length`) took
about 3% of the worker's core, every packet of every classroom paying it.

The IV length lives in the cipher context and stays across `EVP_CipherInit_ex` calls that pass no
cipher, so setting it once after the key does the same. SRTP's GCM IV is always 12 bytes (RFC 7714),
which is also OpenSSL's default for GCM.

Applied by scripts/build-srtp to Debian's libsrtp2 source (scripts/worker_patch.py).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from worker_patch import patch

MARK = "/* tongke: GCM IV length set once per key */"

source = Path(sys.argv[1]) / "crypto/cipher/aes_gcm_ossl.c"

INIT_ANCHOR = """    if (!EVP_CipherInit_ex(c->ctx, evp, NULL, key, NULL, 0)) {
        return (srtp_err_status_init_fail);
    }
"""
INIT_PATCH = INIT_ANCHOR + f"""
    {MARK}
    if (!EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_SET_IVLEN, 12, 0)) {{
        return (srtp_err_status_init_fail);
    }}
"""

PER_PACKET_ANCHOR = """    if (!EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_SET_IVLEN, 12, 0)) {
        return (srtp_err_status_init_fail);
    }

    if (!EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, iv,"""
PER_PACKET_PATCH = """    if (!EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, iv,"""

# The per-packet edit goes first: once the init edit is in, the IV-length call occurs twice.
patch(source, MARK, [(PER_PACKET_ANCHOR, PER_PACKET_PATCH), (INIT_ANCHOR, INIT_PATCH)])
