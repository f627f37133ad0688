import type { Store } from '../types.js';

export interface ClickHouseStoreOptions {
  urls: string[];
  cluster?: string;
  database: string;
  intervalMinutes: number;
}

export async function openClickHouseStore(options: ClickHouseStoreOptions): Promise<Store> {
  throw new Error(`ClickHouse store not implemented yet (${options.urls.join(',')})`);
}
