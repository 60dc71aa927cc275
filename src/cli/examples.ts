/**
 * The examples each command's `--help` shows, on the scenarios and traces fleetsim ships
 * (`scenarios/`, `traces/`): a reader can paste them from the package folder. Each (and its
 * description) is at most 76 characters, so that the help shows it on one line of 80 columns, and its words are
 * separated by single spaces and never quoted, so it splits into its arguments as a shell would.
 */
export const EXAMPLES = {
  run: [
    ['$0 run', 'the built-in demo; outputs in out/chat-demo'],
    ['$0 run scenarios/spot-autoscaling.yaml --seed 12 --replications 5', 'five seeds: mean and 95 % CI'],
    [
      '$0 run scenarios/demo.yaml --set fleets.0.replicas=6 --out out/six',
      'one key changed, in a folder of its own',
    ],
  ],
  report: [['$0 report out/chat-demo', 'redraw the charts and report.html of a finished run']],
  compare: [
    [
      '$0 compare scenarios/demo.yaml scenarios/h100-l40s-tpu.yaml',
      'both files and their variants, against the first',
    ],
  ],
  diff: [
    [
      '$0 diff base/scenarios/demo.yaml scenarios/demo.yaml',
      'a checkout of the base branch against the working tree',
    ],
    [
      '$0 diff old.yaml new.yaml --format github-comment --fail-on slo',
      'a pull-request comment; exit 3 when an objective is newly missed',
    ],
    [
      '$0 diff old.yaml new.yaml --replications 5 --fail-on cost:+10%',
      'changes judged by 95 % CIs; exit 3 when the cost rose more than 10 %',
    ],
  ],
  validate: [
    ['$0 validate scenarios/edge-offload.yaml', 'check a scenario without running it'],
    ['$0 validate --json scenarios/h100-l40s-tpu.yaml', 'the verdict and every diagnostic as JSON'],
  ],
  manifest: [
    ['$0 manifest scenarios/spot-autoscaling.yaml', 'the baseline autoscaler as a Kubernetes HPA'],
    [
      '$0 manifest scenarios/spot-autoscaling.yaml --variant knative',
      'a variant autoscaler as Knative annotations',
    ],
  ],
  sweep: [
    ['$0 sweep scenarios/h100-l40s-tpu.yaml', 'its sweep: section; outputs in out/h100-l40s-tpu-sweep'],
    [
      '$0 sweep scenarios/demo.yaml --grid fleets.0.replicas=2..8 --workers 4',
      'a sweep given on the command line',
    ],
    ['$0 sweep scenarios/h100-l40s-tpu.yaml --shard 0/4 --out out/shard-0', 'the first of four slices'],
  ],
  plan: [
    [
      '$0 plan scenarios/h100-l40s-tpu.yaml --replications 3 --check',
      'the cheapest choice of its sweep: meeting its slo:; exit 3 when none does',
    ],
    [
      '$0 plan scenarios/spot-autoscaling.yaml --vary fleets.1.replicas=1..4',
      'choices given on the command line',
    ],
    [
      '$0 plan scenarios/purchase-mix.yaml --purchase-mix reserved_3y=0..3',
      'how many replicas to reserve: monthly cost against SLO risk',
    ],
  ],
  calibrate: [
    [
      '$0 calibrate run.jsonl --scenario scenarios/demo.yaml --out out/fit',
      'fit step times to a measured run (in the format of run --requests)',
    ],
  ],
  merge: [
    [
      '$0 merge out/shard-0 out/shard-1 out/shard-2 out/shard-3 --out out/all',
      'the four shards of one sweep',
    ],
  ],
  schema: [['$0 schema', 'the JSON Schema of scenario files, for editors']],
  'catalog list': [
    ['$0 catalog list --accelerator h100-80gb', 'every H100 instance type, cheapest first'],
    ['$0 catalog list --provider gcp --max-price 5 --json', 'as JSON'],
  ],
  'catalog show': [['$0 catalog show aws/p5.4xlarge', 'its hardware, regions and prices, with sources']],
  'catalog import': [
    [
      '$0 catalog import --from aws-price-list=offer.json --out my-aws.yaml',
      'prices from a price list you downloaded',
    ],
  ],
  'trace stats': [
    ['$0 trace stats traces/azure-llm-2023-conv.csv', 'requests, rate and token percentiles'],
    ['$0 trace stats --columns traces/azure-llm-2023-conv.csv', 'its columns and what each is read as'],
  ],
} as const satisfies Record<string, readonly (readonly [string, string])[]>;

export type CommandName = keyof typeof EXAMPLES;
