import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export const CLICKHOUSE_SERVER = process.env.FLOWLENS_CLICKHOUSE_SERVER ?? '/usr/sbin/clickhouse-server';

export interface ClickHouseNode {
  httpPort: number;
  tcpPort: number;
  url: string;
  dir: string;
  /** The running server; replaced by `startNode` after a stop. */
  process: ChildProcess;
}

export interface ClickHouseCluster {
  /** Name of the cluster in every server's `remote_servers`. */
  cluster: string;
  nodes: ClickHouseNode[];
  urls: string[];
  stop(): Promise<void>;
  /**
   * Stops one node (SIGTERM, then SIGKILL after 10 s; or `signal: 'SIGKILL'` at once) and waits
   * for its process to exit. Its ports and data directory stay reserved for `startNode`.
   */
  stopNode(index: number, options?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
  /** Starts a stopped node again on the same ports and data directory; resolves once it answers. */
  startNode(index: number): Promise<void>;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function stopProcess(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  return new Promise<void>((resolve) => {
    if (exited(child)) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

function configXml(node: { dir: string; httpPort: number; tcpPort: number; interserverPort: number }, cluster: string, shards: Array<{ tcpPort: number }>): string {
  const shardXml = shards
    .map((s) => `<shard><replica><host>127.0.0.1</host><port>${s.tcpPort}</port></replica></shard>`)
    .join('');
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>information</level>
    <log>${node.dir}/server.log</log>
    <errorlog>${node.dir}/server.err.log</errorlog>
    <size>100M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${node.httpPort}</http_port>
  <tcp_port>${node.tcpPort}</tcp_port>
  <interserver_http_port>${node.interserverPort}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <max_connections>256</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>64</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>${node.dir}/data/</path>
  <tmp_path>${node.dir}/tmp/</tmp_path>
  <user_files_path>${node.dir}/user_files/</user_files_path>
  <format_schema_path>${node.dir}/format_schemas/</format_schema_path>
  <users_config>${node.dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <remote_servers>
    <${cluster}>${shardXml}</${cluster}>
  </remote_servers>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
</yandex>
`;
}

const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>2000000000</max_memory_usage>
      <load_balancing>random</load_balancing>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`;

async function ping(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`);
    return res.ok && (await res.text()).startsWith('Ok');
  } catch {
    return false;
  }
}

function logTail(dir: string, output: string): string {
  const parts = [`process output:\n${output.slice(-4000)}`];
  for (const f of ['server.err.log', 'server.log']) {
    const p = join(dir, f);
    if (existsSync(p)) parts.push(`${f}:\n${readFileSync(p, 'utf8').slice(-4000)}`);
  }
  return parts.join('\n');
}

/**
 * Starts `shards` real clickhouse-server processes (Debian's package) on free loopback ports, each
 * with its own config, users file and data directory under a fresh temp dir, all declaring the
 * same `remote_servers` cluster so a Distributed table spans them. Fails with the server log when
 * one does not come up; never skips.
 */
export async function startClickHouseCluster(options: { shards?: number; cluster?: string; timeoutMs?: number } = {}): Promise<ClickHouseCluster> {
  const shards = options.shards ?? 2;
  const cluster = options.cluster ?? 'flowlens_test';
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!existsSync(CLICKHOUSE_SERVER)) {
    throw new Error(`${CLICKHOUSE_SERVER} not found: install Debian's clickhouse-server (apt-get install clickhouse-server), as .ci/run does`);
  }
  const root = mkdtempSync(join(tmpdir(), 'flowlens-clickhouse-'));
  const specs: Array<{ dir: string; httpPort: number; tcpPort: number; interserverPort: number }> = [];
  for (let i = 0; i < shards; i++) {
    const dir = join(root, `shard${i + 1}`);
    for (const sub of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(dir, sub), { recursive: true });
    specs.push({ dir, httpPort: await freePort(), tcpPort: await freePort(), interserverPort: await freePort() });
  }
  const nodes: ClickHouseNode[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => stopProcess(n.process)));
    rmSync(root, { recursive: true, force: true });
  };
  /** Spawns the server of `spec` and waits until it answers /ping (or fails with its log). */
  const launch = async (spec: (typeof specs)[number]): Promise<ChildProcess> => {
    const child = spawn(CLICKHOUSE_SERVER, [`--config-file=${join(spec.dir, 'config.xml')}`], {
      cwd: spec.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = `http://127.0.0.1:${spec.httpPort}`;
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited(child)) {
        throw new Error(`clickhouse-server (${spec.dir}) exited with ${child.exitCode ?? child.signalCode} before answering.\n${logTail(spec.dir, output)}`);
      }
      if (await ping(url)) return child;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`clickhouse-server (${spec.dir}) did not answer on ${url} within ${timeoutMs} ms.\n${logTail(spec.dir, output)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  try {
    for (const spec of specs) {
      writeFileSync(join(spec.dir, 'config.xml'), configXml(spec, cluster, specs));
      writeFileSync(join(spec.dir, 'users.xml'), USERS_XML);
      const child = await launch(spec);
      nodes.push({ httpPort: spec.httpPort, tcpPort: spec.tcpPort, url: `http://127.0.0.1:${spec.httpPort}`, dir: spec.dir, process: child });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const nodeAt = (index: number): ClickHouseNode => {
    const node = nodes[index];
    if (!node) throw new Error(`no ClickHouse node ${index} (cluster of ${nodes.length})`);
    return node;
  };
  const stopNode = async (index: number, options: { signal?: 'SIGTERM' | 'SIGKILL' } = {}) => {
    await stopProcess(nodeAt(index).process, options.signal);
  };
  const startNode = async (index: number) => {
    const node = nodeAt(index);
    if (!exited(node.process)) throw new Error(`ClickHouse node ${index} is still running`);
    node.process = await launch(specs[index]);
  };
  return { cluster, nodes, urls: nodes.map((n) => n.url), stop: stopAll, stopNode, startNode };
}
