import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';

const ROOT = resolve(import.meta.dirname, '../..');

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: ROOT };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

function documents(text: string) {
  const docs = parseAllDocuments(text);
  for (const doc of docs) expect(doc.errors).toEqual([]);
  return docs.map((doc) => doc.toJS());
}

describe('fleetsim manifest', () => {
  it("writes the baseline's target tracking as an HPA with the scenario's bounds and target", async () => {
    const { code, stdout } = await cli(['manifest', 'scenarios/spot-autoscaling.yaml']);
    expect(code).toBe(0);
    const [hpa] = documents(stdout);
    // scenarios/spot-autoscaling.yaml: gpu-spot, replicas min 1 max 12, target-tracking on concurrency 16.
    expect(hpa).toMatchObject({
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'gpu-spot' },
      spec: {
        minReplicas: 1,
        maxReplicas: 12,
        metrics: [{ type: 'Pods', pods: { target: { averageValue: '16' } } }],
      },
    });
    expect(stdout).toMatch(
      /^# fleet gpu-spot of spot-autoscaling \(variant baseline\), policy target-tracking$/m,
    );
  });

  it('applies --set, as a plan chose a setting, and writes a variant as Knative annotations', async () => {
    const set = await cli([
      'manifest',
      'scenarios/spot-autoscaling.yaml',
      '--set',
      'fleets.0.autoscaling.target=12',
    ]);
    expect(documents(set.stdout)[0].spec.metrics[0].pods.target.averageValue).toBe('12');
    const knative = await cli(['manifest', 'scenarios/spot-autoscaling.yaml', '--variant', 'knative']);
    const [service] = documents(knative.stdout);
    expect(service.spec.template.metadata.annotations).toMatchObject({
      'autoscaling.knative.dev/target': '16',
      'autoscaling.knative.dev/scale-down-delay': '300s',
    });
  });

  it('writes a scheduled fleet as a KEDA ScaledObject, plain YAML without anchors', async () => {
    const { code, stdout } = await cli([
      'manifest',
      'scenarios/spot-autoscaling.yaml',
      '--set',
      'fleets.0.autoscaling={ policy: scheduled, schedule: [{ at: "Mon-Fri 08:00", replicas: 6 }, { at: "Mon-Fri 19:00", replicas: 1 }] }',
    ]);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/[&*][a-z]\d/);
    const [scaled] = documents(stdout);
    expect(scaled).toMatchObject({ kind: 'ScaledObject', spec: { minReplicaCount: 1, maxReplicaCount: 12 } });
    expect(scaled.spec.triggers).toHaveLength(5);
    expect(scaled.spec.triggers[4].metadata).toEqual({
      timezone: 'Etc/UTC',
      start: '0 8 * * 5',
      end: '0 19 * * 5',
      desiredReplicas: '6',
    });
  });

  it('refuses an unknown variant or a scenario without autoscaling, in one line with exit 2', async () => {
    const variant = await cli(['manifest', 'scenarios/spot-autoscaling.yaml', '--variant', 'knativ']);
    expect(variant.code).toBe(2);
    expect(variant.stderr.trim().split('\n')).toHaveLength(1);
    expect(variant.stderr).toContain('closest: knative');
    const fixed = await cli(['manifest', 'scenarios/demo.yaml']);
    expect(fixed.code).toBe(2);
    expect(fixed.stderr).toMatch(/has no autoscaled fleet/);
  });

  it('prints every setting the API refuses as a REFUSED comment above the document, and as a warning', async () => {
    const { code, stdout, stderr } = await cli([
      'manifest',
      'scenarios/spot-autoscaling.yaml',
      '--set',
      'fleets.0.autoscaling.behavior.scale_down.stabilization_window=2h',
    ]);
    expect(code).toBe(0);
    expect(stderr).toBe(
      'fleetsim: warning: fleet gpu-spot: REFUSED: behavior.scale_down.stabilization_window 7200 s, where the API takes 0 to 3600 s (stabilizationWindowSeconds): applying this document fails\n',
    );
    expect(stdout).toContain(
      '# - REFUSED: behavior.scale_down.stabilization_window 7200 s, where the API takes 0 to 3600 s (stabilizationWindowSeconds): applying this document fails\n',
    );
    expect(documents(stdout)[0].spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(7200);
  });

  it('refuses a queue-depth step that changes a fraction of a replica, at the value', async () => {
    const { code, stderr } = await cli([
      'manifest',
      'scenarios/spot-autoscaling.yaml',
      '--set',
      'fleets.0.autoscaling={ policy: queue-depth, steps: [{ lower: 5, upper: null, change: 2.5 }] }',
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe('--set:1:86: fleets[0].autoscaling.steps[0].change: expected an integer\n');
  });
});
