/** ed25519 key pairs from ssh2's generator, checked. */
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

/**
 * An ed25519 key pair in OpenSSH format. NOTE: ssh2's generator drops leading zero bytes of the
 * public key (about one key in 256), producing a file neither ssh2 nor OpenSSH can read; retry.
 */
export function generateEd25519(comment = ''): { private: string; public: string } {
  for (let i = 0; i < 20; i++) {
    const kp = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const parsed = ssh2.utils.parseKey(kp.private);
    if (
      !(parsed instanceof Error) &&
      (Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed)?.getPublicSSH().length === 51
    )
      return kp;
  }
  throw new Error('could not generate an ed25519 key');
}
