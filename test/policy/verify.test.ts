import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { loadScenario } from '../../src/model/index.js';
import { formatVerifyText, verifyFlow, verifyResultJson } from '../../src/policy/index.js';

const lab = loadScenario(fileURLToPath(new URL('./testdata/lab.yaml', import.meta.url)));

describe('verifyFlow', () => {
  it('--json has decision, rule, chain and recordedRule', () => {
    const j = verifyResultJson(verifyFlow(lab, { from: 'laptop', to: 'web1', protocol: 'tcp', port: 8080 }));
    expect(Object.keys(j).slice(0, 4)).toEqual(['decision', 'rule', 'chain', 'recordedRule']);
    expect(j.decision).toBe('Deny');
    expect(j.rule).toMatchObject({ name: 'UserRule_deny-8080', nsg: 'nsg-nic-web1', priority: 200, kind: 'user' });
    expect(j.chain.map((c) => [c.stage, c.nsg, c.rule?.name, c.result])).toEqual([
      ['subnet-nsg', 'nsg-subnet-web', 'UserRule_allow-web', 'Allow'],
      ['nic-nsg', 'nsg-nic-web1', 'UserRule_deny-8080', 'Deny'],
    ]);
    expect(j.recordedRule?.name).toBe('UserRule_deny-8080');
    expect(j.sides[0].nsgFlowLog).toEqual({ nsg: 'nsg-nic-web1', rule: 'UserRule_deny-8080' });
  });

  it('text output names the decision, the deciding rule with its NSG and priority, and each chain step', () => {
    const text = formatVerifyText(verifyFlow(lab, { from: 'laptop', to: 'web1', protocol: 'tcp', port: 8080, nsgOrder: 'nic-first' }));
    expect(text).toContain('Decision: Deny');
    expect(text).toContain('Deciding rule: UserRule_deny-8080 (Deny, priority 200, NSG nsg-nic-web1)');
    expect(text).toMatch(/1\. destination web1-nic Inbound: NIC NSG nsg-nic-web1 -> Deny UserRule_deny-8080/);
    expect(text).toContain('(NSG order: nic-first)');
  });

  it('ICMP needs no port; tcp does', () => {
    expect(verifyFlow(lab, { from: 'laptop', to: 'web2', protocol: 'icmp' }).verdict.recordedRule?.flowLogName).toBe('UserRule_deny-icmp-in');
    expect(() => verifyFlow(lab, { from: 'laptop', to: 'web2', protocol: 'tcp' })).toThrow(UsageError);
    expect(() => verifyFlow(lab, { from: 'laptop', to: 'web2', protocol: 'gre', port: 1 })).toThrow(/--protocol/);
    expect(() => verifyFlow(lab, { from: 'laptop', to: 'nobody', protocol: 'tcp', port: 1 })).toThrow(/--to "nobody"/);
    expect(() => verifyFlow(lab, { from: 'laptop', to: 'web2', protocol: 'tcp', port: 70000 })).toThrow(/--port/);
  });
});
