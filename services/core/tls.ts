import { readFileSync } from 'node:fs';
import type { Config } from './config.ts';
import { PermanentError } from './errors.ts';

/** PEM material of a TLS listener, as node:tls, node:https and node:http2 take it. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** CA certificates that sign accepted client certificates; set: a client without such a certificate is refused. */
  ca?: Buffer;
}

function readPem(setting: string, path: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    throw new PermanentError('ZEROOPS_TLS_FILE_UNREADABLE', `${setting}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!pem.includes('-----BEGIN ')) {
    throw new PermanentError('ZEROOPS_TLS_FILE_INVALID', `${setting}: ${path} holds no PEM block (-----BEGIN ...); convert it to PEM`);
  }
  return pem;
}

/**
 * Reads the TLS files the configuration names (tlsCertFile, tlsKeyFile and,
 * for `listener` `'ingest'`, tlsClientCaFile); undefined when TLS is off.
 * Throws a {@link PermanentError} naming the setting of a missing or non-PEM
 * file. The buffers belong to the caller.
 */
export function loadTls(config: Pick<Config, 'tlsCertFile' | 'tlsKeyFile' | 'tlsClientCaFile'>, listener: 'ingest' | 'api'): TlsMaterial | undefined {
  if (!config.tlsCertFile) return undefined;
  const material: TlsMaterial = {
    cert: readPem('ZEROOPS_TLS_CERT_FILE', config.tlsCertFile),
    key: readPem('ZEROOPS_TLS_KEY_FILE', config.tlsKeyFile),
  };
  if (listener === 'ingest' && config.tlsClientCaFile) material.ca = readPem('ZEROOPS_TLS_CLIENT_CA_FILE', config.tlsClientCaFile);
  return material;
}

/**
 * Server options (node:https, node:tls, node:http2 secure servers) that serve
 * `material`: its certificate and key and, when it holds a client CA, a client
 * certificate signed by that CA required of every connection.
 */
export function tlsServerOptions(material: TlsMaterial): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean } {
  const verify = material.ca !== undefined ? { ca: material.ca, requestCert: true, rejectUnauthorized: true } : {};
  return { cert: material.cert, key: material.key, ...verify };
}
