/**
 * Which VM sizes support virtual network encryption (GA list, azure-flowlogs-spec §6.1). The
 * match is by series and version, e.g. `Standard_D4ds_v5` → D-series v5. A NIC may override the
 * result with `encryptionSupported`.
 */
import type { Nic } from './schema.js';

const SIZE = /^(?:standard_)?([a-z]+)(\d+)([a-z]*)(?:[-_]\d+[a-z]*)?_v(\d+)$/i;

export function vmSizeSupportsEncryption(vmSize: string): boolean {
  const m = SIZE.exec(vmSize.trim());
  if (!m) return false;
  const family = m[1].toUpperCase();
  const features = m[3].toLowerCase();
  const version = +m[4];
  if (family === 'D' || family === 'E') return version >= 4 && version <= 6;
  if (family === 'M') return version === 2 || version === 3;
  if (family === 'L') return version === 3 && features.includes('s');
  if (family === 'F') return version === 6 && features.startsWith('a');
  return false;
}

/** Encryption needs Accelerated Networking and a supported size, unless the NIC says otherwise. */
export function nicSupportsEncryption(nic: Pick<Nic, 'encryptionSupported' | 'acceleratedNetworking' | 'vmSize'>): boolean {
  if (nic.encryptionSupported !== undefined) return nic.encryptionSupported;
  return nic.acceleratedNetworking && nic.vmSize !== undefined && vmSizeSupportsEncryption(nic.vmSize);
}
