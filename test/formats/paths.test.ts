/** Blob path build/parse for both containers (spec §1.10, §2.4) and MAC formatting. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowLogFormatError } from '../../src/errors.js';
import {
  NSG_CONTAINER,
  VNET_CONTAINER,
  buildNsgBlobPath,
  buildVnetBlobPath,
  formatMac,
  hourPartition,
  macWithColons,
  nsgResourceId,
  parseBlobPath,
} from '../../src/formats/index.js';

describe('VNet flow-log blob paths', () => {
  const parts = {
    subscriptionId: 'aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e',
    region: 'eastus',
    flowLogName: 'myVNet-myResourceGroup-flowlog',
    time: Date.UTC(2025, 7, 6, 20, 39, 33),
    macAddress: '60-45-bd-d6-dd-48',
  };

  it('builds the form the platform writes (§1.10 row 1): upper case, zero-padded, m=00', () => {
    expect(buildVnetBlobPath(parts)).toBe(
      'flowLogResourceID=/AAAA0A0A-BB1B-CC2C-DD3D-EEEEEE4E4E4E_NETWORKWATCHERRG/NETWORKWATCHER_EASTUS_MYVNET-MYRESOURCEGROUP-FLOWLOG/y=2025/m=08/d=06/h=20/m=00/macAddress=6045BDD6DD48/PT1H.json',
    );
    expect(buildVnetBlobPath({ ...parts, withContainer: true })).toMatch(/^insights-logs-flowlogflowevent\/flowLogResourceID=\//);
  });

  it('parses what it builds, with or without container or URL', () => {
    const name = buildVnetBlobPath(parts);
    for (const input of [name, `${VNET_CONTAINER}/${name}`, `https://acct.blob.core.windows.net/${VNET_CONTAINER}/${name}`]) {
      const p = parseBlobPath(input);
      expect(p).toMatchObject({
        kind: 'vnet',
        variant: 'vnet',
        blobName: name,
        subscriptionId: 'AAAA0A0A-BB1B-CC2C-DD3D-EEEEEE4E4E4E',
        resourceGroup: 'NETWORKWATCHERRG',
        networkWatcherName: 'NETWORKWATCHER_EASTUS',
        flowLogName: 'MYVNET-MYRESOURCEGROUP-FLOWLOG',
        year: 2025,
        month: 8,
        day: 6,
        hour: 20,
        hourStartMs: Date.UTC(2025, 7, 6, 20),
        macAddress: '6045BDD6DD48',
      });
    }
    expect(parseBlobPath(name)?.container).toBeNull();
    expect(parseBlobPath(`${VNET_CONTAINER}/${name}`)?.container).toBe(VNET_CONTAINER);
  });

  it('accepts the ARM-path variant of the manage article (§1.10 row 3)', () => {
    const p = parseBlobPath(
      'insights-logs-flowlogflowevent/flowLogResourceID=/SUBSCRIPTIONS/0000/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/FLOWLOGS/MYFLOWLOG/y=2024/m=1/d=2/h=3/m=00/macAddress=00:22:48:71:C2:05/PT1H.json',
    );
    expect(p).toMatchObject({
      kind: 'vnet',
      variant: 'vnet-arm',
      subscriptionId: '0000',
      networkWatcherName: 'NETWORKWATCHER_EASTUS',
      flowLogName: 'MYFLOWLOG',
      month: 1,
      day: 2,
      hour: 3,
      macAddress: '00224871C205',
    });
  });

  it('accepts the portal tab form with -FLOWLOGS and keeps the raw resource segment', () => {
    const p = parseBlobPath(
      'flowLogResourceID=/SUB_NETWORKWATCHERRG/NETWORKWATCHER_WESTUS_VM1-RG1-FLOWLOGS/y=2024/m=12/d=31/h=23/m=00/macAddress=0022485D8CF8/PT1H.json',
    );
    expect(p).toMatchObject({ flowLogName: 'VM1-RG1-FLOWLOGS', resourceSegment: '/SUB_NETWORKWATCHERRG/NETWORKWATCHER_WESTUS_VM1-RG1-FLOWLOGS' });
  });

  it('uses a custom watcher name and resource group when given', () => {
    const name = buildVnetBlobPath({ ...parts, region: undefined, networkWatcherName: 'nw1', networkWatcherResourceGroup: 'ops-rg' });
    expect(name).toMatch(/^flowLogResourceID=\/AAAA0A0A-BB1B-CC2C-DD3D-EEEEEE4E4E4E_OPS-RG\/NW1_MYVNET-MYRESOURCEGROUP-FLOWLOG\//);
    expect(parseBlobPath(name)).toMatchObject({ resourceGroup: 'OPS-RG', networkWatcherName: 'NW1' });
  });
});

describe('NSG flow-log blob paths', () => {
  it('builds §2.4 from parts or a resource id, and parses it back', () => {
    const name = buildNsgBlobPath({
      subscriptionId: 'aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e',
      resourceGroup: 'FabrikamRG',
      nsgName: 'fabriakmvm1-nsg',
      time: new Date('2017-02-16T22:00:32.895Z'),
      macAddress: '000D3AF8801A',
    });
    expect(name).toBe(
      'resourceId=/SUBSCRIPTIONS/AAAA0A0A-BB1B-CC2C-DD3D-EEEEEE4E4E4E/RESOURCEGROUPS/FABRIKAMRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/FABRIAKMVM1-NSG/y=2017/m=02/d=16/h=22/m=00/macAddress=000D3AF8801A/PT1H.json',
    );
    const id = nsgResourceId('aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e', 'FabrikamRG', 'fabriakmvm1-nsg');
    expect(buildNsgBlobPath({ resourceId: id, time: Date.UTC(2017, 1, 16, 22), macAddress: '000d3af8801a' })).toBe(name);
    expect(parseBlobPath(`https://a.blob.core.windows.net/${NSG_CONTAINER}/${name}`)).toMatchObject({
      kind: 'nsg',
      variant: 'nsg',
      container: NSG_CONTAINER,
      subscriptionId: 'AAAA0A0A-BB1B-CC2C-DD3D-EEEEEE4E4E4E',
      resourceGroup: 'FABRIKAMRG',
      nsgName: 'FABRIAKMVM1-NSG',
      hourStartMs: Date.UTC(2017, 1, 16, 22),
      macAddress: '000D3AF8801A',
    });
  });

  it('tolerates the resoureId= typo of one doc query and URL-encoded names', () => {
    const p = parseBlobPath(
      'resoureId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N/y=2020/m=01/d=01/h=00/m=00/macAddress=000D3AF8801A/PT1H.json',
    );
    expect(p?.nsgName).toBe('N');
    const encoded = parseBlobPath(
      'https://a.blob.core.windows.net/insights-logs-networksecuritygroupflowevent/resourceId%3D/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N/y%3D2020/m%3D01/d%3D01/h%3D00/m%3D00/macAddress%3D000D3AF8801A/PT1H.json',
    );
    expect(encoded?.nsgName).toBe('N');
  });
});

describe('non-flow-log names', () => {
  it('returns null rather than guessing', () => {
    expect(parseBlobPath('insights-logs-flowlogflowevent/readme.txt')).toBeNull();
    expect(parseBlobPath('resourceId=/SUBSCRIPTIONS/S/y=2020/m=01/d=01/h=00/m=00/macAddress=000D3AF8801A/PT1H.json')).toBeNull();
    expect(
      parseBlobPath('resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N/y=2020/m=13/d=01/h=00/m=00/macAddress=000D3AF8801A/PT1H.json'),
    ).toBeNull();
    expect(parseBlobPath('flowLogResourceID=/A_B/C_D/y=2020/m=01/d=01/h=00/m=00/macAddress=XYZ/PT1H.json')).toBeNull();
  });
});

describe('MACs and hour partitions', () => {
  it('formats MACs as 12 upper-case hex digits and refuses bad ones', () => {
    expect(formatMac('00-0d-3a-f8-80-1a')).toBe('000D3AF8801A');
    expect(formatMac('00:0D:3A:F8:80:1A')).toBe('000D3AF8801A');
    expect(macWithColons('000d3af8801a')).toBe('00:0D:3A:F8:80:1A');
    expect(() => formatMac('00-0d-3a')).toThrow(FlowLogFormatError);
  });

  it('hour partitions are UTC', () => {
    expect(hourPartition(Date.UTC(2024, 0, 1, 0, 59, 59))).toBe('y=2024/m=01/d=01/h=00/m=00');
  });

  it('property: parse(build(x)) returns x for both containers', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,20}$/);
    fc.assert(
      fc.property(
        fc.uuid(),
        name,
        name,
        fc.integer({ min: Date.UTC(2018, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.stringMatching(/^[0-9a-f]{12}$/),
        (sub, rg, leaf, time, mac) => {
          const hour = Math.floor(time / 3_600_000) * 3_600_000;
          const v = parseBlobPath(buildVnetBlobPath({ subscriptionId: sub, region: 'westeurope', flowLogName: leaf, time, macAddress: mac }));
          expect(v).toMatchObject({
            kind: 'vnet',
            subscriptionId: sub.toUpperCase(),
            flowLogName: leaf.toUpperCase(),
            hourStartMs: hour,
            macAddress: mac.toUpperCase(),
          });
          const n = parseBlobPath(buildNsgBlobPath({ subscriptionId: sub, resourceGroup: rg, nsgName: leaf, time, macAddress: mac }));
          expect(n).toMatchObject({ kind: 'nsg', resourceGroup: rg.toUpperCase(), nsgName: leaf.toUpperCase(), hourStartMs: hour });
        },
      ),
      { numRuns: 200 },
    );
  });
});
