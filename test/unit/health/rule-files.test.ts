import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OrderlakeError } from '../../../src/errors.js';
import { lintRules, loadRules, parseRuleFile, ruleProblemsOf } from '../../../src/health/index.js';
import { formatProblem } from '../../../src/normalize/index.js';
import { RULES_DIR } from './support/reference-rules.js';

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function ruleDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'orderlake-rules-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** A valid rule; tests break one thing at a time by replacing a line. */
const GOOD = `name: paid-stuck
description: Paid but not released
severity: critical
queue: fulfillment-ops
threshold: 30m
at_risk_share: 0.8
channels:
  MEITUAN: { threshold: 20m }
condition:
  kind: waiting
  since: paid_at
  until: { field: released_at }
  when: { status_in: [PAID] }
playbook:
  - step: Re-release the order
    action: re_release_to_warehouse
    link: https://wms.example/orders/{order_id}
`;

function problemsOf(text: string, file = 'rules/paid-stuck.yaml'): string[] {
  return parseRuleFile(file, text).problems.map(formatProblem);
}

function edited(from: string, to: string): string {
  expect(GOOD).toContain(from);
  return GOOD.replace(from, to);
}

describe('the reference rules', () => {
  it('load clean: one file per reference rule of the issue', async () => {
    expect(await lintRules(RULES_DIR)).toEqual([]);
    const rules = await loadRules(RULES_DIR);
    expect(rules.map((rule) => [rule.name, rule.condition.kind])).toEqual([
      ['address-changed-after-packing', 'exception'],
      ['cancelled-after-shipment', 'exception'],
      ['carrier-exception', 'exception'],
      ['paid-not-released', 'waiting'],
      ['predicted-late', 'exception'],
      ['promised-delivery-passed', 'waiting'],
      ['released-not-shipped', 'waiting'],
      ['shipped-no-carrier-scan', 'waiting'],
      ['short-pick', 'exception'],
      ['source-lagging', 'source_lagging'],
      ['source-silent', 'source_silent'],
      ['unlinked-shipment', 'unlinked_shipment'],
    ]);
    // The at-risk warning of the issue: every timed rule that waits for an event has one.
    for (const rule of rules) {
      if (rule.threshold > 0) expect(rule.at_risk_share, rule.name).toBeGreaterThan(0);
    }
  });

  it('parse durations to milliseconds and keep per-channel overrides', () => {
    const rule = parseRuleFile('r.yaml', GOOD).rule;
    expect(rule?.threshold).toBe(30 * 60_000);
    expect(rule?.channels).toEqual({ MEITUAN: { threshold: 20 * 60_000 } });
    expect(rule?.file).toBe('r.yaml');
  });

  it('apply the defaults of source rules', () => {
    const rule = parseRuleFile(
      'lag.yaml',
      'name: lag\ndescription: d\nseverity: info\nqueue: q\nthreshold: 15m\ncondition: { kind: source_lagging }\nplaybook: [{ step: look }]\n',
    ).rule;
    expect(rule?.condition).toEqual({ kind: 'source_lagging', sources: ['crm', 'wms', 'tms'], statistic: 'p50', window: 50 });
  });
});

describe('a bad rule file names the file, the line and column, the path and what was expected', () => {
  const CASES: Array<{ what: string; text: string; problem: string }> = [
    {
      what: 'an unknown severity',
      text: edited('severity: critical', 'severity: urgent'),
      problem: 'rules/paid-stuck.yaml:3:11: severity: expected one of "info", "warning", "critical", got "urgent"',
    },
    {
      what: 'a duration without a unit',
      text: edited('threshold: 30m', 'threshold: 30'),
      problem: 'rules/paid-stuck.yaml:5:12: threshold: expected a duration such as "30m", "4h" or "1h30m" (units d, h, m, s; "0" for none), got number 30',
    },
    {
      what: 'a bad channel threshold',
      text: edited('MEITUAN: { threshold: 20m }', 'MEITUAN: { threshold: 20 minutes }'),
      problem: 'rules/paid-stuck.yaml:8:25: channels.MEITUAN.threshold: expected a duration such as "30m", "4h" or "1h30m" (units d, h, m, s; "0" for none), got "20 minutes"',
    },
    {
      what: 'an unknown condition kind',
      text: edited('kind: waiting', 'kind: stuck'),
      problem: 'rules/paid-stuck.yaml:10:9: condition.kind: expected one of "waiting", "exception", "unlinked_shipment", "source_silent", "source_lagging", got "stuck"',
    },
    {
      what: 'a view field that does not exist',
      text: edited('since: paid_at', 'since: payed_at'),
      problem:
        'rules/paid-stuck.yaml:11:10: condition.since: expected one of "created_at", "paid_at", "promised_delivery_at", "released_at", "packed_at", "shipped_at", "delivered_at", "cancelled_at", got "payed_at"',
    },
    {
      what: 'two things to wait for at once',
      text: edited('until: { field: released_at }', 'until: { field: released_at, status_in: [RELEASED] }'),
      problem: 'rules/paid-stuck.yaml:12:10: condition.until: expected exactly one of field, status_in, shipment_status_in, got field and status_in',
    },
    {
      what: 'a status that is not canonical',
      text: edited('when: { status_in: [PAID] }', 'when: { status_in: [PAYED] }'),
      problem: expect.stringMatching(/^rules\/paid-stuck\.yaml:13:23: condition\.when\.status_in\[0\]: expected one of "CREATED", "PAID", .*got "PAYED"$/) as unknown as string,
    },
    {
      what: 'an at-risk share of 1 or more',
      text: edited('at_risk_share: 0.8', 'at_risk_share: 80'),
      problem: 'rules/paid-stuck.yaml:6:16: at_risk_share: expected at most 1, got number 80',
    },
    {
      what: 'an unknown playbook action',
      text: edited('action: re_release_to_warehouse', 'action: rerelease'),
      problem: expect.stringMatching(/^rules\/paid-stuck\.yaml:16:13: playbook\[0\]\.action: expected one of "re_release_to_warehouse", .*got "rerelease"$/) as unknown as string,
    },
    {
      what: 'a link placeholder the case cannot fill',
      text: edited('{order_id}', '{tracking_no}'),
      problem: 'rules/paid-stuck.yaml:17:11: playbook[0].link: {tracking_no} is not known for order cases; expected {order_id} or {case_id}',
    },
    {
      what: 'an empty playbook',
      text: GOOD.slice(0, GOOD.indexOf('playbook:')) + 'playbook: []\n',
      problem: 'rules/paid-stuck.yaml:14:11: playbook: expected at least 1 item(s)',
    },
  ];

  for (const { what, text, problem } of CASES) {
    it(what, () => {
      expect(problemsOf(text)).toEqual([problem]);
    });
  }

  it('a misspelt key: the hint comes from the rule keys, and the key it replaced is missing', () => {
    expect(problemsOf(edited('queue: fulfillment-ops', 'queu: fulfillment-ops'))).toEqual([
      'rules/paid-stuck.yaml:1:1: queue: is required: expected a string',
      'rules/paid-stuck.yaml:4:7: queu: unknown key (did you mean "queue"?): not part of the rule file schema',
    ]);
    expect(problemsOf(edited('at_risk_share: 0.8', 'at_risk_shar: 0.8'))).toEqual([
      'rules/paid-stuck.yaml:6:15: at_risk_shar: unknown key (did you mean "at_risk_share"?): not part of the rule file schema',
    ]);
  });

  it('options that do not fit the condition kind', () => {
    const text = `name: silent
description: d
severity: info
queue: q
threshold: 0
at_risk_share: 0.5
channels: { WEB: { threshold: 1h } }
condition: { kind: source_silent }
playbook: [{ step: look, link: "/sources/{order_id}" }]
`;
    expect(problemsOf(text, 'silent.yaml')).toEqual([
      'silent.yaml:7:11: channels: channels apply to order rules only; a source_silent rule has no channel',
      'silent.yaml:5:12: threshold: a source_silent rule fires for every source at once with threshold 0; expected a duration above 0',
      'silent.yaml:6:16: at_risk_share: a share of a zero threshold is no warning; expected a threshold above 0, or no at_risk_share',
      'silent.yaml:9:32: playbook[0].link: {order_id} is not known for source cases; expected {source} or {case_id}',
    ]);
  });

  it('YAML syntax errors and repeated keys', () => {
    expect(problemsOf(GOOD.replace('severity: critical', 'severity: [critical'))).toEqual([
      expect.stringMatching(/^rules\/paid-stuck\.yaml:\d+:\d+: YAML syntax error: /),
    ]);
    expect(problemsOf(`${GOOD}severity: info\n`)).toEqual(['rules/paid-stuck.yaml:18:1: a key appears twice in one mapping; expected each key once']);
  });

  it('loadRules refuses the folder with OL_ERR_RULE_INVALID listing every problem, duplicate names included', async () => {
    const dir = await ruleDir({
      'a.yaml': GOOD,
      'b.yaml': GOOD,
      'c.yml': edited('severity: critical', 'severity: urgent'),
      'notes.txt': 'not a rule',
    });
    const err = await loadRules(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OrderlakeError);
    expect((err as OrderlakeError).code).toBe('OL_ERR_RULE_INVALID');
    const problems = ruleProblemsOf(err)?.map(formatProblem);
    expect(problems).toEqual([
      `${join(dir, 'b.yaml')}: name: name paid-stuck is already used by ${join(dir, 'a.yaml')}; expected unique rule names`,
      `${join(dir, 'c.yml')}:3:11: severity: expected one of "info", "warning", "critical", got "urgent"`,
    ]);
    expect((err as Error).message).toBe(`invalid rule files:\n  ${problems?.join('\n  ')}`);
    expect(ruleProblemsOf(new Error('other'))).toBeUndefined();
  });

  it('an empty folder is no rules; a missing one is a problem', async () => {
    expect(await loadRules(await ruleDir({}))).toEqual([]);
    expect((await lintRules('/no/such/rules')).map(formatProblem)).toEqual([
      expect.stringMatching(/^\/no\/such\/rules: cannot read the rules directory: ENOENT/),
    ]);
  });
});
